package finish

import (
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/explain"
	"github.com/goautoml/automl/mlflow"
	"github.com/goautoml/automl/notebookgen"
)

// Which trials get a notebook (Options.Notebooks).
const (
	All  = notebookgen.All  // every successful trial
	Top  = notebookgen.Top  // the notebookgen.TopN best
	None = notebookgen.None // none, and no exploration notebook
)

// Defaults of the settings, shared by the command line and the web UI.
const (
	DefaultExplainTop = 5
	DefaultNotebooks  = All
	// DefaultShare keeps 10 % of a time budget for the step: 3 s of the
	// demo's 30 s, where explaining five German Credit trials takes about
	// 2.8 s alone on one core (measured on a shared 2-core machine).
	DefaultShare   = 0.1
	DefaultTimeout = 2 * time.Minute
	// DefaultPlots saves plots as PNG only: what the web UI and the
	// notebooks show, at half the rendering time and a fraction of the
	// disk (a 200-row SHAP beeswarm is about 300 KB as SVG).
	DefaultPlots = explain.PlotsPNG
	// MaxShare bounds Share: the search keeps at least a tenth of the budget.
	MaxShare = 0.9
)

// Options are the settings of the step (the first group, the user's
// choices, validated by Validate) and how it runs (the second group).
type Options struct {
	// ExplainTop is how many of the best trials get explanations (plots,
	// metrics, SHAP values, importances); 0: none, nor the experiment's plots.
	ExplainTop int `json:"explain_top"`
	// Notebooks is All, Top or None ("" is None).
	Notebooks string `json:"notebooks"`
	// Share is the fraction of a time budget kept for this step, from 0 to
	// MaxShare. It is only kept when the step has something to do.
	Share float64 `json:"share"`
	// Timeout bounds explanations and notebooks when the run has no time
	// budget (0: DefaultTimeout).
	Timeout time.Duration `json:"timeout"`
	// MLflow logs the experiment to a tracking server (URI empty: not).
	MLflow MLflow `json:"mlflow"`
	// Plots is the explanations' image format: png, svg or both ("": png).
	Plots explain.Plots `json:"plots,omitempty"`

	// Workers is how many goroutines explanations use (0: all CPUs).
	Workers int `json:"-"`
	// ModuleDir is the checkout of this module notebooks build against
	// ("" = AUTOML_SRC when the notebook runs).
	ModuleDir string `json:"-"`
	// Data is the experiment's prepared data, when the caller has it (nil:
	// explanations read the CSV again).
	Data *automl.Data `json:"-"`
	// Logger receives progress (nil: discarded).
	Logger *slog.Logger `json:"-"`
	// OnPhase, if set, is called as each phase begins: PhaseNotebooks,
	// PhaseExplain, PhaseMLflow.
	OnPhase func(Phase) `json:"-"`
}

// MLflow is where and how the experiment is logged.
type MLflow struct {
	// URI of the tracking server ("" = no logging).
	URI string `json:"uri,omitempty"`
	// ExperimentName is the MLflow experiment ("" = the experiment's name).
	ExperimentName string `json:"experiment_name,omitempty"`
	// RegisterModel, when set, registers the best trial's model under it.
	RegisterModel string `json:"register_model,omitempty"`
	// Timeout bounds the logging after the search (0: DefaultTimeout);
	// with a time budget, the budget's end bounds it too.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Retry bounds each call (nil: LiveRetry): a dead server costs a few
	// seconds once, then logging stops.
	Retry *mlflow.RetryPolicy `json:"-"`
}

// LiveRetry is the retry policy of the logging, unless MLflow.Retry is set.
var LiveRetry = mlflow.RetryPolicy{MaxAttempts: 4, BaseDelay: 200 * time.Millisecond, MaxDelay: 2 * time.Second,
	MaxElapsed: 10 * time.Second, AttemptTimeout: 15 * time.Second}

// Phase is what the step is doing.
type Phase string

const (
	PhaseExplain   Phase = "explain"
	PhaseNotebooks Phase = "notebooks"
	PhaseMLflow    Phase = "mlflow"
)

// Defaults returns the settings both front ends start from.
func Defaults() Options {
	return Options{ExplainTop: DefaultExplainTop, Notebooks: DefaultNotebooks, Share: DefaultShare, Timeout: DefaultTimeout,
		MLflow: MLflow{Timeout: DefaultTimeout}, Plots: DefaultPlots}
}

// Validate checks the settings; its messages name the command-line flag,
// with the web form's field name in the same words.
func (o Options) Validate() error {
	switch {
	case o.ExplainTop < 0:
		return fmt.Errorf("explain top %d: expected 0 or more trials", o.ExplainTop)
	case o.Notebooks != "" && o.Notebooks != All && o.Notebooks != Top && o.Notebooks != None:
		return fmt.Errorf("notebooks %q: expected all, top or none", o.Notebooks)
	case !(o.Share >= 0 && o.Share <= MaxShare):
		return fmt.Errorf("finish share %v: expected a fraction from 0 to %v of the time budget", o.Share, MaxShare)
	case o.Timeout < 0:
		return fmt.Errorf("explain timeout %v is negative", o.Timeout)
	case o.MLflow.Timeout < 0:
		return fmt.Errorf("mlflow timeout %v is negative", o.MLflow.Timeout)
	case o.MLflow.URI == "" && (o.MLflow.ExperimentName != "" || o.MLflow.RegisterModel != ""):
		return fmt.Errorf("an MLflow experiment name or model to register needs a tracking server (mlflow)")
	}
	return o.Plots.Check()
}

// notebooks reports whether notebooks are to be written.
func (o Options) notebooks() bool { return o.Notebooks == All || o.Notebooks == Top }

// Active reports whether the step has anything to do.
func (o Options) Active() bool { return o.ExplainTop > 0 || o.notebooks() || o.MLflow.URI != "" }

// Reserve is how much of a time budget the search leaves to the step when
// the step has something to do (else nothing): Share of it, plus the time
// the search may take to stop once its own deadline has passed (the
// default automl.Config.Grace, half of max(1 s, 2 % of the budget)), so
// that the step does get its share.
func (o Options) Reserve(timeout time.Duration) time.Duration {
	if timeout <= 0 || !o.Active() {
		return 0
	}
	return time.Duration(float64(timeout)*o.Share) + max(time.Second, timeout/50)/2
}

func (o Options) timeout() time.Duration {
	if o.Timeout <= 0 {
		return DefaultTimeout
	}
	return o.Timeout
}

func (m MLflow) timeout() time.Duration {
	if m.Timeout <= 0 {
		return DefaultTimeout
	}
	return m.Timeout
}

// Flags are the settings as the command line's flags spell them (only
// those not empty), as experiment.json records them (Config.FinishFlags)
// so that automl resume finishes an experiment the way its run did, whether
// the command line or the web UI started it.
func (o Options) Flags() map[string]string {
	m := map[string]string{
		"explain-top":     strconv.Itoa(o.ExplainTop),
		"notebooks":       o.Notebooks,
		"finish-share":    strconv.FormatFloat(o.Share, 'g', -1, 64),
		"explain-timeout": o.timeout().String(),
		"mlflow":          o.MLflow.URI,
		"plots":           string(o.Plots),
	}
	if o.Notebooks == "" {
		m["notebooks"] = None
	}
	if o.MLflow.URI != "" {
		m["mlflow-experiment-name"] = o.MLflow.ExperimentName
		m["mlflow-register-model"] = o.MLflow.RegisterModel
		m["mlflow-timeout"] = o.MLflow.timeout().String()
	}
	for k, v := range m {
		if v == "" {
			delete(m, k)
		}
	}
	return m
}
