// Package bundle reads and writes model bundles: a folder that scores new
// rows without the training data. A bundle holds one or more members, each
// a fitted preprocessing pipeline and a fitted classifier, combined by
// weights; a single model is a bundle with one member. An optional
// calibration and decision threshold apply to the combined probabilities.
//
// Layout of a bundle folder (paths from package store):
//
//	model.json            Bundle (store.Bundle)
//	model/                member 0's classifier files (store.BundleModel(dir, 0))
//	members/<k>/          member k's classifier files, k >= 1
//
// Format 1 (written before multi-member bundles) had the single member's
// family, prep, model and setup at the top level of model.json; Load reads
// both formats and Save always writes format 2.
package bundle
