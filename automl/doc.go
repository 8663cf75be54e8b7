// Package automl runs an experiment: it reads a data set, checks it with
// guardrails, splits it, searches preprocessing pipelines and classifiers
// under a time or trial budget, and keeps every finished trial in a Store.
//
// A trial is a plain value (TrialSpec); the same spec on the same data gives
// the same model and metrics, bit for bit. The time budget decides how many
// trials run, never what a trial computes.
//
// A search (RunPrepared, Resume) asks its Searcher for trials in ID order and
// hands them to an Executor: the Local goroutine pool by default, workers on
// other machines, or the scripted double of package automltest. It commits
// the finished trials in ID order (artifacts, record, log line) and alone
// decides budgets and the stop. The experiment folder's layout and its
// atomic writes belong to package store.
package automl
