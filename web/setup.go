package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/finish"
	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/notebookgen"
)

type option struct {
	Value, Label string
	Selected     bool
}

type classCount struct {
	Label string
	Count int
	Pct   string
}

// checkView is what Prepare found for the chosen target.
type checkView struct {
	Problem    string
	Classes    []classCount
	Positive   string
	Guardrails []automl.Guardrail
	Dropped    []automl.DroppedColumn
	Features   int
	Split      automl.SplitInfo
}

// settings are the experiment's settings as the form shows them.
type settings struct {
	Metric    string
	Metrics   []option
	Budget    int // seconds
	Families  []option
	TrainFrac float64
	ValFrac   float64
	CV        string // "" when the size of the data chooses (AutoCV)
	Seed      uint64
	MaxTrials int
	Exclude   []option
	// The finishing step (package finish), with the command line's choices.
	ExplainTop       int
	Notebooks        []option
	FinishShare      float64
	MLflowURI        string // the server's tracking server; "" offers no logging
	MLflow           bool
	MLflowExperiment string
	MLflowRegister   string
}

type setupView struct {
	page
	Upload, File string
	Rows         int
	Header       []string
	Preview      [][]string
	Targets      []option // suggested first
	Suggested    int      // how many of Targets are suggestions
	Target       string
	Profile      []profileRow
	Check        *checkView
	Error        string
	Settings     settings
}

const previewRows = 8

// setup shows an uploaded file: a preview, the profile, the target choice
// and, once a target is chosen, the guardrails and the settings form.
func (h *handler) setup(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("upload")
	path := h.s.uploadFile(id)
	if path == "" {
		h.fail(w, r, http.StatusNotFound, "There is no upload "+id+": upload the file again.")
		return
	}
	f, err := h.s.frames.read(path)
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, "This file cannot be read as a table: "+plainError(err, path))
		return
	}
	v := &setupView{Upload: id, File: filepath.Base(path), Rows: f.NumRows(), Target: r.URL.Query().Get("target")}
	for _, c := range f.Columns {
		v.Header = append(v.Header, c.Name)
	}
	for i := range min(previewRows, f.NumRows()) {
		row := make([]string, len(f.Columns))
		for j, c := range f.Columns {
			row[j] = c.String(i)
		}
		v.Preview = append(v.Preview, row)
	}
	prof := dataset.ProfileFrame(f)
	v.Profile = profileRows(prof)
	sugg := likelyTargets(f, prof)
	for _, n := range sugg {
		v.Targets = append(v.Targets, option{Value: n, Label: n, Selected: n == v.Target})
	}
	v.Suggested = len(sugg)
	for _, c := range f.Columns {
		if !slices.Contains(sugg, c.Name) {
			v.Targets = append(v.Targets, option{Value: c.Name, Label: c.Name, Selected: c.Name == v.Target})
		}
	}
	cfg, err := configFrom(r.URL.Query(), path, h.s.cfg.Runs)
	fo, ferr := finishFrom(r.URL.Query(), *h.s.cfg.Finish)
	if err == nil {
		err = ferr
	}
	v.Settings = settingsOf(cfg, f, 0)
	v.Settings.finishing(fo)
	status := http.StatusOK
	switch {
	case v.Target == "":
	case err != nil:
		v.Error, status = err.Error(), http.StatusBadRequest
	default:
		p, err := automl.PrepareFrame(f, cfg)
		if err != nil {
			v.Error, status = plainError(err, path), http.StatusUnprocessableEntity
			break
		}
		e := p.Experiment
		v.Check = &checkView{Problem: e.Problem, Guardrails: e.Plan.Guardrails, Dropped: e.Plan.Dropped,
			Features: len(e.Plan.Columns), Split: e.Split}
		for k, c := range e.Target.Classes {
			v.Check.Classes = append(v.Check.Classes, classCount{Label: c, Count: e.Target.Counts[k], Pct: formatPct(e.Target.Counts[k], len(e.Target.Y))})
		}
		if e.Target.Positive >= 0 {
			v.Check.Positive = e.Target.Classes[e.Target.Positive]
		}
		v.Settings = settingsOf(e.Config, f, len(e.Target.Classes))
		v.Settings.finishing(fo)
	}
	h.render(w, r, status, "setup.html", v)
}

// start prepares and launches an experiment, then shows its page.
func (h *handler) start(w http.ResponseWriter, r *http.Request) {
	started := time.Now() // the budget counts reading the data, as on the command line
	id := r.PostForm.Get("upload")
	path := h.s.uploadFile(id)
	if path == "" {
		h.fail(w, r, http.StatusNotFound, "There is no upload "+id+": upload the file again.")
		return
	}
	cfg, err := configFrom(r.PostForm, path, h.s.cfg.Runs)
	if err == nil && cfg.Target == "" {
		err = fmt.Errorf("choose the target column")
	}
	fo, ferr := finishFrom(r.PostForm, *h.s.cfg.Finish)
	if err == nil {
		err = ferr
	}
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	exec := strings.TrimSpace(r.PostForm.Get("executor"))
	if exec != "" && !strings.HasPrefix(exec, "nats://") && !strings.HasPrefix(exec, "tls://") {
		h.fail(w, r, http.StatusBadRequest, fmt.Sprintf("Run trials on %q: leave it empty for this machine, or give a nats:// URL.", exec))
		return
	}
	f, err := h.s.frames.read(path)
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, "This file cannot be read as a table: "+plainError(err, path))
		return
	}
	name, err := h.s.launch(f, cfg, fo, started, exec)
	if err != nil {
		h.fail(w, r, http.StatusUnprocessableEntity, "The experiment cannot start: "+plainError(err, path))
		return
	}
	h.s.usedUpload(path)
	http.Redirect(w, r, "/experiments/"+url.PathEscape(name), http.StatusSeeOther)
}

// configFrom reads the settings form. Empty fields keep the defaults.
func configFrom(q url.Values, data, runs string) (automl.Config, error) {
	cfg := automl.Config{Data: data, Target: q.Get("target"), Metric: q.Get("metric"), RunsDir: runs, Timeout: 60 * time.Second, Seed: 1,
		AutoCV: true, Search: automl.SearchAdaptive, Calibration: automl.CalibrationAuto, Ensemble: automl.EnsembleAuto}
	cfg.Split.TrainFrac, cfg.Split.ValFrac = 0.6, 0.2
	num := func(field string, set func(string) error) error {
		if s := strings.TrimSpace(q.Get(field)); s != "" {
			if err := set(s); err != nil {
				return fmt.Errorf("%s %q: %w", strings.ReplaceAll(field, "_", " "), s, err)
			}
		}
		return nil
	}
	errs := []error{
		num("budget", func(s string) error {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 24*3600 {
				return fmt.Errorf("expected whole seconds between 1 and 86400")
			}
			cfg.Timeout = time.Duration(n) * time.Second
			return nil
		}),
		num("train_frac", fracSetter(&cfg.Split.TrainFrac)),
		num("val_frac", fracSetter(&cfg.Split.ValFrac)),
		num("cv", func(s string) error {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || n == 1 || n > 20 {
				return fmt.Errorf("expected 0 (no cross-validation) or 2 to 20 folds")
			}
			cfg.Split.CV, cfg.AutoCV = n, false
			return nil
		}),
		num("seed", func(s string) error {
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return fmt.Errorf("expected a whole number ≥ 0")
			}
			cfg.Seed = n
			return nil
		}),
		num("max_trials", func(s string) error {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return fmt.Errorf("expected a whole number ≥ 0 (0 = no limit)")
			}
			cfg.MaxTrials = n
			return nil
		}),
		num("search", choice(&cfg.Search, automl.SearchAdaptive, automl.SearchRandom)),
		num("calibration", choice(&cfg.Calibration, automl.CalibrationAuto, automl.CalibrationNone)),
		num("ensemble", choice(&cfg.Ensemble, automl.EnsembleAuto, automl.EnsembleNone)),
	}
	for _, f := range q["family"] {
		cfg.Include = append(cfg.Include, models.Family(f))
	}
	if q.Get("families") == "set" && len(cfg.Include) == 0 {
		errs = append(errs, fmt.Errorf("choose at least one model family"))
	}
	cfg.ExcludeCols = q["exclude"]
	for _, err := range errs {
		if err != nil {
			return cfg, err
		}
	}
	if cfg.Target != "" {
		return cfg, cfg.Validate()
	}
	return cfg, nil
}

// choice sets *dst to a form value that is one of the allowed ones.
func choice(dst *string, allowed ...string) func(string) error {
	return func(s string) error {
		if !slices.Contains(allowed, s) {
			return fmt.Errorf("expected %s", strings.Join(allowed, " or "))
		}
		*dst = s
		return nil
	}
}

// finishFrom reads the form's fields of the finishing step over the
// server's defaults def, and validates them as the command line does.
// Without the "finishing" marker (a form that did not show the fields),
// MLflow logging keeps its default: on when the server has a tracking server.
func finishFrom(q url.Values, def finish.Options) (finish.Options, error) {
	o := def
	field := func(name, label string, set func(string) error) error {
		if s := strings.TrimSpace(q.Get(name)); s != "" {
			if err := set(s); err != nil {
				return fmt.Errorf("%s %q: %w", label, s, err)
			}
		}
		return nil
	}
	err := errors.Join(
		field("explain_top", "explain top", func(s string) error {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return fmt.Errorf("expected a whole number ≥ 0 (0 = none)")
			}
			o.ExplainTop = n
			return nil
		}),
		field("notebooks", "notebooks", func(s string) error {
			if s != finish.All && s != finish.Top && s != finish.None {
				return fmt.Errorf("expected all, top or none")
			}
			o.Notebooks = s
			return nil
		}),
		field("finish_share", "finish share", func(s string) error {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || !(v >= 0 && v <= finish.MaxShare) {
				return fmt.Errorf("expected a fraction from 0 to %v of the budget", finish.MaxShare)
			}
			o.Share = v
			return nil
		}))
	if err != nil {
		return o, err
	}
	on := q.Get("mlflow") == "on"
	if on && def.MLflow.URI == "" {
		return o, fmt.Errorf("this server was not started with an MLflow tracking server (automl ui --mlflow URL)")
	}
	if q.Get("finishing") == "set" && !on {
		o.MLflow = finish.MLflow{}
	}
	if o.MLflow.URI != "" {
		o.MLflow.ExperimentName = strings.TrimSpace(q.Get("mlflow_experiment_name"))
		o.MLflow.RegisterModel = strings.TrimSpace(q.Get("mlflow_register_model"))
	}
	return o, o.Validate()
}

// finishing sets the form's fields of the finishing step from o.
func (s *settings) finishing(o finish.Options) {
	s.ExplainTop, s.FinishShare = o.ExplainTop, o.Share
	for _, m := range [][2]string{{finish.All, "for every trial"}, {finish.Top, fmt.Sprintf("for the %d best trials", notebookgen.TopN)}, {finish.None, "none"}} {
		s.Notebooks = append(s.Notebooks, option{Value: m[0], Label: m[1], Selected: m[0] == o.Notebooks || (o.Notebooks == "" && m[0] == finish.None)})
	}
	s.MLflowURI, s.MLflow = o.MLflow.URI, o.MLflow.URI != ""
	s.MLflowExperiment, s.MLflowRegister = o.MLflow.ExperimentName, o.MLflow.RegisterModel
}

func fracSetter(dst *float64) func(string) error {
	return func(s string) error {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || !(v > 0 && v < 1) {
			return fmt.Errorf("expected a fraction between 0 and 1")
		}
		*dst = v
		return nil
	}
}

// settingsOf turns a config into the form's fields.
func settingsOf(cfg automl.Config, f *dataset.Frame, classes int) settings {
	s := settings{Metric: cfg.Metric, Budget: int(cfg.Timeout / time.Second), TrainFrac: cfg.Split.TrainFrac,
		ValFrac: cfg.Split.ValFrac, Seed: cfg.Seed, MaxTrials: cfg.MaxTrials}
	if !cfg.AutoCV {
		s.CV = strconv.Itoa(cfg.Split.CV)
	}
	if s.Metric == "" {
		s.Metric = "roc_auc"
		if classes > 2 {
			s.Metric = "log_loss"
		}
	}
	for _, m := range metrics.Names {
		s.Metrics = append(s.Metrics, option{Value: m, Label: metricLabel(m), Selected: m == s.Metric})
	}
	for _, d := range models.All() {
		on := slices.Contains(cfg.Include, d.Name) || len(cfg.Include) == 0 && !d.OptIn
		s.Families = append(s.Families, option{Value: string(d.Name), Label: familyLabel(d.Name), Selected: on})
	}
	for _, c := range f.Columns {
		if c.Name != cfg.Target {
			s.Exclude = append(s.Exclude, option{Value: c.Name, Label: c.Name, Selected: slices.Contains(cfg.ExcludeCols, c.Name)})
		}
	}
	return s
}

var targetName = regexp.MustCompile(`(?i)^(class|target|label|y|outcome|result|response|default|churn|churned|survived|diagnosis|fraud|is_fraud|approved|status|quality)$`)

// likelyTargets ranks columns that look like a classification target: a
// telling name, few distinct values, the last position. At most five.
func likelyTargets(f *dataset.Frame, p *dataset.Profile) []string {
	type cand struct {
		name  string
		score int
	}
	var cs []cand
	for i, c := range p.Columns {
		if c.Kind == dataset.ID || c.Kind == dataset.Text || c.Kind == dataset.Datetime || c.Distinct < 2 || c.Distinct > 20 {
			continue
		}
		score := 1
		if targetName.MatchString(c.Name) {
			score += 3
		}
		if i == len(p.Columns)-1 {
			score += 2
		}
		if c.Distinct == 2 {
			score++
		}
		if score >= 3 {
			cs = append(cs, cand{c.Name, score})
		}
	}
	slices.SortStableFunc(cs, func(a, b cand) int { return b.score - a.score })
	var out []string
	for _, c := range cs[:min(len(cs), 5)] {
		out = append(out, c.name)
	}
	return out
}

// familyLabel is the family's label from its registered descriptor.
func familyLabel(f models.Family) string { return models.Label(f) }

var metricLabels = map[string]string{
	"roc_auc": "ROC AUC", "pr_auc": "PR AUC", "log_loss": "log loss", "accuracy": "accuracy",
	"balanced_accuracy": "balanced acc.", "precision": "precision", "recall": "recall", "f1": "F1",
}

func metricLabel(m string) string {
	if l, ok := metricLabels[m]; ok {
		return l
	}
	return m
}
