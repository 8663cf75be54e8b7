// Package automl runs an experiment: it reads a data set, checks it with
// guardrails, splits it, searches preprocessing pipelines and classifiers
// under a time or trial budget, and keeps every finished trial in a Store.
//
// A trial is a plain value (TrialSpec); the same spec on the same data gives
// the same model and metrics, bit for bit. The time budget decides how many
// trials run, never what a trial computes.
package automl
