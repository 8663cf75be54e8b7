package store

import (
	"path/filepath"
	"strconv"
)

// File and folder names inside an experiment folder. They are exported for
// messages and tests; code builds paths through Layout.
const (
	ExperimentFile  = "experiment.json"
	TrialLogFile    = "trials.jsonl"
	LockFile        = ".lock"
	ExplorationFile = "exploration.ipynb"
	TrialsDir       = "trials"
	TrialFile       = "trial.json"
	PredictionsFile = "predictions.bin"
	NotebookFile    = "notebook.ipynb"
	BundleFile      = "model.json"
	ModelDir        = "model"
	MembersDir      = "members"
	ExplainDir      = "explain"
	BestAlias       = "best"
	UploadsDir      = ".uploads"
	PinFile         = ".keep"    // in a trial folder: its bundle was opened, served or exported
	DataDir         = "data"     // the experiment's own copy of its data file (the web UI's uploads)
	PendingDir      = ".pending" // bundles written by trials ahead of their commit (the search removes it)
)

// Layout names every file and folder of one experiment folder.
type Layout struct {
	Dir string
}

// At returns the layout of the experiment folder dir.
func At(dir string) Layout { return Layout{Dir: dir} }

// Experiment is experiment.json: config, data hash, profile, guardrails, status.
func (l Layout) Experiment() string { return filepath.Join(l.Dir, ExperimentFile) }

// TrialLog is trials.jsonl: one line per finished trial, in trial-ID order.
func (l Layout) TrialLog() string { return filepath.Join(l.Dir, TrialLogFile) }

// Lock is the file the one process writing the experiment holds locked.
func (l Layout) Lock() string { return filepath.Join(l.Dir, LockFile) }

// ExplorationNotebook is the data-exploration notebook.
func (l Layout) ExplorationNotebook() string { return filepath.Join(l.Dir, ExplorationFile) }

// ExperimentExplain holds the experiment-wide plots (best score over time, score by family).
func (l Layout) ExperimentExplain() string { return filepath.Join(l.Dir, ExplainDir) }

// Data is the experiment's own copy of its data file called name.
func (l Layout) Data(name string) string { return filepath.Join(l.Dir, DataDir, filepath.Base(name)) }

// Trials is the folder holding one sub-folder per trial.
func (l Layout) Trials() string { return filepath.Join(l.Dir, TrialsDir) }

// Pending is the folder of everything written ahead of a commit.
func (l Layout) Pending() string { return filepath.Join(l.Dir, PendingDir) }

// PendingTrial is where trial id's bundle is written ahead of its commit.
func (l Layout) PendingTrial(id int) string { return filepath.Join(l.Pending(), strconv.Itoa(id)) }

// Trial is the folder of trial id; it is also the trial's bundle folder.
func (l Layout) Trial(id int) string { return filepath.Join(l.Dir, TrialsDir, strconv.Itoa(id)) }

// TrialRecord is the trial's own copy of its trials.jsonl record.
func (l Layout) TrialRecord(id int) string { return filepath.Join(l.Trial(id), TrialFile) }

// Predictions is the trial's validation (or out-of-fold) predicted probabilities.
func (l Layout) Predictions(id int) string { return filepath.Join(l.Trial(id), PredictionsFile) }

// Notebook is the trial's reproducible notebook.
func (l Layout) Notebook(id int) string { return filepath.Join(l.Trial(id), NotebookFile) }

// Bundle is the trial's model.json.
func (l Layout) Bundle(id int) string { return Bundle(l.Trial(id)) }

// BundleModel is the folder of the classifier files of the trial bundle's first member.
func (l Layout) BundleModel(id int) string { return BundleModel(l.Trial(id), 0) }

// Pin marks a trial whose bundle retention keeps (see automl.GC).
func (l Layout) Pin(id int) string { return filepath.Join(l.Trial(id), PinFile) }

// Explain is the trial's explanations folder.
func (l Layout) Explain(id int) string { return filepath.Join(l.Trial(id), ExplainDir) }

// ExplainFile is a file of the trial's explanations folder.
func (l Layout) ExplainFile(id int, name string) string { return filepath.Join(l.Explain(id), name) }

// Bundle is the model.json of the bundle folder dir (a trial folder, or any
// copy of one).
func Bundle(dir string) string { return filepath.Join(dir, BundleFile) }

// BundleModel is the folder of member k's classifier files inside bundle
// folder dir: model/ for the first member (the only one of a single model,
// and where format-1 bundles keep it), members/<k>/ for the others.
func BundleModel(dir string, k int) string {
	if k == 0 {
		return filepath.Join(dir, ModelDir)
	}
	return filepath.Join(dir, MembersDir, strconv.Itoa(k))
}

// Uploads is the web UI's folder for uploaded files, under the runs folder.
func Uploads(runs string) string { return filepath.Join(runs, UploadsDir) }

// ExperimentDir is the folder of experiment name under the runs folder.
func ExperimentDir(runs, name string) string { return filepath.Join(runs, name) }
