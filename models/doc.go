// Package models is the seam between the search and the model families:
// the Classifier interface, Setup, the shared input checks, search spaces
// (Dim, Values, Sample, Space), Spec (a family and its params) and the
// family registry.
//
// A family lives in a package of its own (models/logistic, models/knn,
// models/naivebayes, models/decisiontree, models/randomforest,
// models/extratrees, models/gbdt; opt-in: models/golearn) that registers
// one Descriptor in its init function, as database/sql drivers do:
//
//	func init() {
//		models.Register(&models.Descriptor{Name: "mine", Label: "My model", Order: 80, ...})
//	}
//
// Everything else asks the registry (Lookup, All, Names) instead of
// switching on a family's name. models/families imports the built-in
// families for their side effect.
package models
