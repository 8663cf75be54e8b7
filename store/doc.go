// Package store owns the on-disk layout of an experiment folder and the one
// way files are written into it (atomically: a temporary file beside the
// target, synced, then renamed).
//
// Every path inside runs/<experiment>/ comes from a Layout method; no other
// package joins a file name it made up itself. The layout is:
//
//	runs/<experiment>/
//	  experiment.json       Layout.Experiment
//	  trials.jsonl          Layout.TrialLog
//	  .lock                 Layout.Lock (held by the one process writing)
//	  exploration.ipynb     Layout.ExplorationNotebook
//	  explain/              Layout.ExperimentExplain
//	  trials/<id>/          Layout.Trial
//	    trial.json          Layout.TrialRecord
//	    predictions.bin     Layout.Predictions (validation / out-of-fold probabilities)
//	    notebook.ipynb      Layout.Notebook
//	    model.json          Layout.Bundle (Bundle(dir) inside any bundle folder)
//	    model/              Layout.BundleModel (BundleModel(dir): member 0; members/<k>/ for k > 0)
//	    explain/            Layout.Explain
package store
