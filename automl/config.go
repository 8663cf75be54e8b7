package automl

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/models"
	_ "github.com/goautoml/automl/models/families" // registers the built-in model families
)

// ErrBudget is the cause attached to an experiment's context when its time
// budget runs out. Reaching it is a stop reason, not an error.
var ErrBudget = errors.New("time budget reached")

// StopReason tells why a search ended.
type StopReason string

// The reasons a search stops.
const (
	StopTimeout   StopReason = "timeout"    // the time budget ran out
	StopMaxTrials StopReason = "max_trials" // the trial budget was used
	StopExitScore StopReason = "exit_score" // the primary metric reached the exit score
	StopEarly     StopReason = "early_stop" // N trials in a row brought no improvement
	StopCancelled StopReason = "cancelled"  // the caller cancelled (Ctrl-C, stop button)
	StopExhausted StopReason = "exhausted"  // the searcher had nothing left to propose
)

// Config is everything that defines an experiment. Its zero values mean the
// documented defaults; Defaults fills them in.
type Config struct {
	// Data is the CSV file to learn from.
	Data string `json:"data"`
	// Target is the column to predict.
	Target string `json:"target"`
	// PosLabel names the positive class of a binary target ("" = the greater label).
	PosLabel string `json:"pos_label,omitempty"`
	// Metric is the primary metric that ranks trials: roc_auc (binary default),
	// log_loss (multiclass default), brier, pr_auc, f1, precision, recall, accuracy,
	// balanced_accuracy.
	Metric string `json:"metric"`
	// Timeout bounds the search's wall time; 0 means no time limit.
	Timeout time.Duration `json:"timeout"`
	// MaxTrials bounds the number of trials; 0 means no limit.
	MaxTrials int `json:"max_trials,omitempty"`
	// ExitScore stops the search once the primary validation metric reaches
	// it (at or above; at or below for log_loss and brier). Nil means never.
	ExitScore *float64 `json:"exit_score,omitempty"`
	// EarlyStop stops the search after this many finished trials in a row
	// without a better primary score; 0 means never.
	EarlyStop int `json:"early_stop,omitempty"`
	// Include lists the families to search (empty = all); Exclude removes some.
	Include []models.Family `json:"include,omitempty"`
	Exclude []models.Family `json:"exclude,omitempty"`
	// Seed seeds the split and every trial.
	Seed uint64 `json:"seed"`
	// Workers is how many trials run at once (0 = number of cores).
	Workers int `json:"workers"`
	// Split says how rows are divided into train, validation and test.
	Split dataset.SplitSpec `json:"split"`
	// AutoCV, with Split.CV == 0 and a random split, lets the size of the
	// data choose cross-validation (AutoFolds); the experiment records the
	// folds chosen in Split.CV.
	AutoCV bool `json:"auto_cv,omitempty"`
	// ExcludeCols are columns never used as features.
	ExcludeCols []string `json:"exclude_cols,omitempty"`
	// KeepCols are columns kept even when a guardrail would exclude them
	// (leakage, ID-like, constant).
	KeepCols []string `json:"keep_cols,omitempty"`
	// Kinds forces the kind of named columns when the data is read (for
	// instance a numeric code read as categorical); Delimiter (one ASCII
	// character) and Encoding (a dataset.Encodings name) force how the file
	// is read. Empty: detected. Every reading of the experiment's data
	// (resume, workers, re-creating a bundle) reads it the same way.
	Kinds     map[string]dataset.Kind `json:"kinds,omitempty"`
	Delimiter string                  `json:"delimiter,omitempty"`
	Encoding  string                  `json:"encoding,omitempty"`
	// RunsDir is where experiments are stored (default "runs").
	RunsDir string `json:"runs_dir"`
	// Name is the experiment's folder name under RunsDir (default: data file
	// stem and start time).
	Name string `json:"name"`
	// KeepBundles is how many of the best trials keep a model bundle (saved
	// when a trial ranks among the best KeepBundles finished so far); 0 means
	// 10, a negative value every trial.
	KeepBundles int `json:"keep_bundles,omitempty"`
	// Search names the searcher: SearchRandom (also "": every family's
	// starting points, then uniform samples) or SearchAdaptive (the
	// default of `automl run` and the web UI).
	Search string `json:"search,omitempty"`
	// Ensemble: EnsembleAuto chooses a weighted ensemble of the
	// finished trials after the search and records it as one more trial;
	// EnsembleNone (also "") does not. The command line and the web UI
	// default to auto.
	Ensemble string `json:"ensemble,omitempty"`
	// Calibration is how trials calibrate their probabilities on held-out
	// rows: CalibrationAuto chooses per trial (the default of the command
	// line and the web UI), CalibrationNone (also "") keeps the models' own.
	Calibration string `json:"calibration,omitempty"`
	// Refit: RefitAll refits the best trial (each member of an ensemble) on
	// every row, test rows included, after the search, into the
	// experiment's "best" folder; RefitNone (also "") keeps the searched
	// trial's bundle as the best.
	Refit string `json:"refit,omitempty"`
	// Sample: SampleAuto (also "") searches on samples of the training rows
	// when they are large (see Sampling); SampleOff fits every trial on
	// every training row.
	Sample string `json:"sample,omitempty"`
	// FinishFlags are the command-line flags of the steps after the search
	// (explanations, notebooks, MLflow logging) as given to `automl run`, by
	// flag name, so that `automl resume` finishes the experiment the same way.
	FinishFlags map[string]string `json:"finish_flags,omitempty"`
	// Grace is how long the search waits for fits in flight once the budget
	// is reached (default half of max(1 s, 2 % of Timeout), leaving the other
	// half for writing the results).
	Grace time.Duration `json:"-"`
}

// ReadOptions are the options that read the experiment's data file.
func (c Config) ReadOptions() dataset.Options {
	o := dataset.Options{Kinds: c.Kinds, Encoding: c.Encoding}
	if r := []rune(c.Delimiter); len(r) == 1 {
		o.Delimiter = r[0]
	}
	return o
}

// Families lists the families the search tries when Include is empty:
// every registered family that is not opt-in, cheapest first (by the
// descriptors' Order).
func Families() []models.Family { return models.Names(false) }

// Defaults returns c with unset fields filled in, for a problem with the
// given number of classes.
func (c Config) Defaults(classes int) Config {
	if c.Metric == "" {
		if classes > 2 {
			c.Metric = "log_loss"
		} else {
			c.Metric = "roc_auc"
		}
	}
	if c.Workers <= 0 {
		c.Workers = runtime.NumCPU()
	}
	if c.Split.TrainFrac == 0 && c.Split.ValFrac == 0 {
		c.Split.TrainFrac, c.Split.ValFrac = 0.6, 0.2
	}
	c.Split.Seed = c.Seed
	if c.RunsDir == "" {
		c.RunsDir = "runs"
	}
	if c.Grace == 0 {
		c.Grace = max(time.Second, c.Timeout/50) / 2
	}
	return c
}

// Validate checks the settings that do not need the data.
func (c Config) Validate() error {
	if c.Data == "" {
		return errors.New("no data file given (--data)")
	}
	if c.Target == "" {
		return errors.New("no target column given (--target)")
	}
	if c.Search != "" && c.Search != SearchAdaptive && c.Search != SearchRandom {
		return fmt.Errorf("search %q: expected adaptive or random", c.Search)
	}
	if c.Ensemble != "" && c.Ensemble != EnsembleAuto && c.Ensemble != EnsembleNone {
		return fmt.Errorf("ensemble %q: expected auto or none", c.Ensemble)
	}
	if c.Calibration != "" && c.Calibration != CalibrationAuto && c.Calibration != CalibrationNone {
		return fmt.Errorf("calibration %q: expected auto or none", c.Calibration)
	}
	if c.Refit != "" && c.Refit != RefitAll && c.Refit != RefitNone {
		return fmt.Errorf("refit %q: expected all or none", c.Refit)
	}
	if c.Sample != "" && c.Sample != SampleAuto && c.Sample != SampleOff {
		return fmt.Errorf("sample %q: expected auto or off", c.Sample)
	}
	if c.Metric != "" && !slices.Contains(metrics.Names, c.Metric) {
		return fmt.Errorf("unknown metric %q: expected one of %v", c.Metric, metrics.Names)
	}
	if r := []rune(c.Delimiter); c.Delimiter != "" && (len(r) != 1 || r[0] >= 0x80 || r[0] == '"' || r[0] == '\n' || r[0] == '\r') {
		return fmt.Errorf("delimiter %q: expected one ASCII character other than a quote or line break", c.Delimiter)
	}
	if c.Encoding != "" && !slices.Contains(dataset.Encodings, c.Encoding) {
		return fmt.Errorf("encoding %q: expected one of %v", c.Encoding, dataset.Encodings)
	}
	for col, k := range c.Kinds {
		switch k {
		case dataset.Numeric, dataset.Boolean, dataset.Categorical, dataset.Datetime, dataset.Text, dataset.ID:
		default:
			return fmt.Errorf("column %q: unknown type %q: expected numeric, boolean, categorical, datetime, text or id", col, k)
		}
	}
	if c.Timeout < 0 {
		return fmt.Errorf("timeout %v is negative", c.Timeout)
	}
	if c.MaxTrials < 0 {
		return fmt.Errorf("max trials %d is negative", c.MaxTrials)
	}
	if c.EarlyStop < 0 {
		return fmt.Errorf("early stop %d is negative", c.EarlyStop)
	}
	for _, f := range append(slices.Clone(c.Include), c.Exclude...) {
		if _, ok := models.Lookup(f); !ok {
			return fmt.Errorf("unknown model family %q: expected one of %v", f, models.Names(true))
		}
	}
	if len(c.families()) == 0 {
		return errors.New("--include and --exclude leave no model family to search")
	}
	if c.Split.CV == 1 || c.Split.CV < 0 {
		return fmt.Errorf("cv %d: expected 0 (no cross-validation) or at least 2 folds", c.Split.CV)
	}
	if c.Split.TrainFrac < 0 || c.Split.ValFrac < 0 || c.Split.TrainFrac+c.Split.ValFrac >= 1 {
		return fmt.Errorf("split fractions train %.2f, validation %.2f: expected positive fractions summing to less than 1",
			c.Split.TrainFrac, c.Split.ValFrac)
	}
	if c.Split.SplitCol != "" && c.Split.TimeCol != "" {
		return errors.New("--split-col and --time-col cannot be used together")
	}
	return nil
}

// families is the ordered list of families the search uses: Include (or,
// when it is empty, every family that is not opt-in) less Exclude.
func (c Config) families() []models.Family {
	var out []models.Family
	for _, d := range models.All() {
		if len(c.Include) > 0 && !slices.Contains(c.Include, d.Name) {
			continue
		}
		if len(c.Include) == 0 && d.OptIn {
			continue
		}
		if slices.Contains(c.Exclude, d.Name) {
			continue
		}
		out = append(out, d.Name)
	}
	return out
}

// better reports whether score a beats b on metric (NaN never wins).
func better(metric string, a, b float64) bool {
	if a != a {
		return false
	}
	if b != b {
		return true
	}
	if metrics.HigherIsBetter(metric) {
		return a > b
	}
	return a < b
}

// AutoFolds is the number of cross-validation folds AutoCV picks for a
// target (0: a single validation split): with few rows, one validation set
// of a fifth of them is too noisy to rank thousands of trials (German
// Credit, 800 non-test rows: the best trial's validation AUC overstates its
// test AUC, and seeds 1-5 averaged 0.789 test AUC with one split against
// 0.804 with 5 folds). As in Azure AutoML, large data keeps the single
// split: the folds multiply the cost of every trial.
//   - up to 2,000 training and validation rows: 5 folds;
//   - up to 20,000: 3 folds;
//   - more, or a class with fewer than 10 of those rows: one split.
func AutoFolds(t *dataset.Target, split dataset.SplitSpec) int {
	frac := split.TrainFrac + split.ValFrac
	if frac <= 0 {
		frac = 0.8
	}
	counts := map[int]int{}
	for _, c := range t.Y {
		counts[c]++
	}
	for _, n := range counts {
		if float64(n)*frac < 10 {
			return 0
		}
	}
	switch n := float64(len(t.Rows)) * frac; {
	case n <= 2000:
		return 5
	case n <= 20000:
		return 3
	}
	return 0
}
