// Package notebookgen writes Jupyter notebooks (nbformat 4.5, for the GoNB Go
// kernel) that reproduce an experiment's trials and explore its data.
//
// Cell text comes from templates embedded in the package and rendered with
// text/template and sprig's hermetic functions; the .ipynb envelope is a Go
// value written with encoding/json. A trial notebook spells the trial out as
// Go code — data and its hash, split, every preprocessing setting and
// hyperparameter — fits it, and checks that the metrics it gets equal the
// ones recorded in trials.jsonl.
package notebookgen
