package web

import (
	"cmp"
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

// settings are the experiment's settings as the form shows them: text, so
// that a value sent back with an error is shown as it was typed.
type settings struct {
	Metric    string
	Metrics   []option
	Budget    string // seconds
	Families  []option
	TrainFrac string
	ValFrac   string
	CV        string // "" when the size of the data chooses (AutoCV)
	Seed      string
	MaxTrials string
	Executor  string
	// How the search runs: searcher, calibration, ensemble step.
	Search, Calibration, Ensemble []option
	// The finishing step (package finish), with the command line's choices.
	ExplainTop       string
	Notebooks        []option
	FinishShare      string
	MLflowURI        string // the server's tracking server; "" offers no logging
	MLflow           bool
	MLflowExperiment string
	MLflowRegister   string
}

// keep puts the values sent in q back into the form's text fields.
func (s *settings) keep(q url.Values) {
	for field, dst := range map[string]*string{"budget": &s.Budget, "train_frac": &s.TrainFrac, "val_frac": &s.ValFrac,
		"cv": &s.CV, "seed": &s.Seed, "max_trials": &s.MaxTrials, "executor": &s.Executor, "explain_top": &s.ExplainTop,
		"finish_share": &s.FinishShare, "mlflow_experiment_name": &s.MLflowExperiment, "mlflow_register_model": &s.MLflowRegister} {
		if vs, ok := q[field]; ok && len(vs) > 0 {
			*dst = vs[0]
		}
	}
	if q.Get("finishing") == "set" && s.MLflowURI != "" {
		s.MLflow = q.Get("mlflow") == "on"
	}
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
	Dialect      dialectView
	Columns      []columnRow
	Alerts       []alertView // the guardrails, each linking to its column's controls
	Positive     []option    // choices of the positive class (binary targets)
	// Error is a problem with the data or the target, FormError one with
	// the settings (Invalid names the fields at fault); both keep the form.
	Error     string
	FormError string
	Invalid   map[string]bool
	Settings  settings
}

// dialectView is how the file was read, and the choices that override it.
type dialectView struct {
	Encoding, Delimiter string
	DecimalComma        bool
	Encodings           []option
	Delimiters          []option
}

// columnRow is one column's controls: its type, and whether it is left out
// or kept despite the guardrails.
type columnRow struct {
	Index         int
	Name          string
	Detected      string
	Types         []option
	Exclude, Keep bool
	Dropped       string // why the guardrails set it aside
}

// alertView is a guardrail with the anchor of its column's row.
type alertView struct {
	automl.Guardrail
	Anchor string
}

const previewRows = 8

// setup shows an uploaded file: a preview, how it was read, the profile,
// the target choice and, once a target is chosen, the guardrails and the
// settings form.
func (h *handler) setup(w http.ResponseWriter, r *http.Request) {
	h.showSetup(w, r, r.PathValue("upload"), r.URL.Query(), http.StatusOK, nil)
}

// showSetup renders the set-up page of upload id with the form values q.
// formErr, when set, is why the form could not start an experiment: the
// page shows it beside the form, with every value kept.
func (h *handler) showSetup(w http.ResponseWriter, r *http.Request, id string, q url.Values, status int, formErr error) {
	path := h.s.uploadFile(id)
	if path == "" {
		h.fail(w, r, http.StatusNotFound, "There is no upload "+id+": it was removed (uploads are kept "+h.s.cfg.UploadTTL.String()+", and an upload that started an experiment is moved into it). Upload the file again.")
		return
	}
	name := filepath.Base(path)
	v := &setupView{Upload: id, File: name, Target: q.Get("target"), Invalid: map[string]bool{}}
	cfg, cerr := configFrom(q, path, h.s.cfg.Runs)
	fo, ferr := finishFrom(q, *h.s.cfg.Finish)
	if formErr == nil {
		formErr = cmp.Or(cerr, ferr)
	}
	// The data's own choices (dialect, column types) without the settings:
	// a bad setting must not hide the check of the data.
	dcfg, derr := configFrom(dataFields(q), path, h.s.cfg.Runs)
	f, rerr := h.s.frames.read(path, dcfg.ReadOptions())
	switch {
	case derr != nil:
		v.Error, status = derr.Error(), http.StatusBadRequest
		f, rerr = h.s.frames.read(path, dataset.Options{})
	case rerr != nil:
		v.Error, status = "This file cannot be read as a table: "+describe(rerr, name), http.StatusUnprocessableEntity
		if dcfg.ReadOptions().Encoding != "" || dcfg.ReadOptions().Delimiter != 0 || len(dcfg.Kinds) > 0 {
			f, _ = h.s.frames.read(path, dataset.Options{}) // show the file as detected, with the error
		}
	}
	v.Dialect = dialectOf(f, dcfg)
	if f == nil {
		if rerr == nil {
			rerr = derr
		}
		h.render(w, r, status, "setup.html", v)
		return
	}
	v.Rows = f.NumRows()
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
	v.Settings = settingsOf(cfg, f, 0)
	v.Settings.finishing(fo)
	if v.Target != "" && v.Error == "" {
		if f.Column(v.Target) == nil {
			v.Error, status = fmt.Sprintf("%s has no column %q: choose the target among the file's columns.", name, v.Target), http.StatusUnprocessableEntity
		} else if msg := numericTarget(f, v.Target); msg != "" {
			v.Error, status = msg, http.StatusUnprocessableEntity
		} else {
			pcfg := cfg
			if cerr != nil {
				pcfg = dcfg // check the data with the default settings
			}
			p, err := automl.PrepareFrame(f, pcfg)
			if err != nil {
				v.Error, status = describe(err, name), http.StatusUnprocessableEntity
			} else {
				v.check(p.Experiment)
				v.Settings = settingsOf(p.Experiment.Config, f, len(p.Experiment.Target.Classes))
				if cerr != nil {
					v.Settings = settingsOf(cfg, f, len(p.Experiment.Target.Classes))
				}
				v.Settings.finishing(fo)
			}
		}
	}
	v.columns(f, prof, dcfg)
	v.Settings.keep(q)
	if formErr != nil {
		v.FormError = formErr.Error()
		var fe *fieldError
		if errors.As(formErr, &fe) {
			v.Invalid[fe.Field] = true
		}
		if status == http.StatusOK {
			status = http.StatusBadRequest
		}
	}
	h.render(w, r, status, "setup.html", v)
}

// check fills in what Prepare found for the chosen target.
func (v *setupView) check(e *automl.Experiment) {
	v.Check = &checkView{Problem: e.Problem, Guardrails: e.Plan.Guardrails, Dropped: e.Plan.Dropped,
		Features: len(e.Plan.Columns), Split: e.Split}
	for k, c := range e.Target.Classes {
		v.Check.Classes = append(v.Check.Classes, classCount{Label: c, Count: e.Target.Counts[k], Pct: formatPct(e.Target.Counts[k], len(e.Target.Y))})
	}
	if e.Target.Positive >= 0 {
		v.Check.Positive = e.Target.Classes[e.Target.Positive]
		for _, c := range e.Target.Classes {
			v.Positive = append(v.Positive, option{Value: c, Label: c, Selected: c == v.Check.Positive})
		}
	}
}

// columns lists the feature columns' controls, and the guardrails linked to them.
func (v *setupView) columns(f *dataset.Frame, prof *dataset.Profile, cfg automl.Config) {
	anchor := map[string]string{}
	for i, c := range f.Columns {
		if c.Name == v.Target {
			continue
		}
		row := columnRow{Index: i, Name: c.Name, Detected: string(prof.Columns[i].Kind),
			Exclude: slices.Contains(cfg.ExcludeCols, c.Name), Keep: slices.Contains(cfg.KeepCols, c.Name)}
		forced := string(cfg.Kinds[c.Name])
		row.Types = append(row.Types, option{Value: "", Label: "as detected (" + row.Detected + ")", Selected: forced == ""})
		for _, k := range columnKinds {
			row.Types = append(row.Types, option{Value: string(k), Label: string(k), Selected: forced == string(k)})
		}
		if v.Check != nil {
			for _, d := range v.Check.Dropped {
				if d.Name == c.Name {
					row.Dropped = d.Reason
				}
			}
		}
		anchor[c.Name] = "col-" + strconv.Itoa(i)
		v.Columns = append(v.Columns, row)
	}
	if v.Check != nil {
		for _, g := range v.Check.Guardrails {
			v.Alerts = append(v.Alerts, alertView{Guardrail: g, Anchor: anchor[g.Column]})
		}
	}
}

// columnKinds are the types a column can be given.
var columnKinds = []dataset.Kind{dataset.Numeric, dataset.Categorical, dataset.Boolean, dataset.Text, dataset.Datetime, dataset.ID}

// dataFields keeps the form's fields about the data (dialect, target,
// columns), without the search settings.
func dataFields(q url.Values) url.Values {
	out := url.Values{}
	for k, vs := range q {
		switch {
		case k == "target", k == "pos_label", k == "delimiter", k == "encoding", k == "exclude", k == "keep", strings.HasPrefix(k, typeField):
			out[k] = vs
		}
	}
	return out
}

// typeField prefixes the form field holding a column's forced type.
const typeField = "type:"

// delimiters are the separators offered (value: the form's, label: shown).
var delimiters = []option{{Value: ",", Label: "comma ,"}, {Value: ";", Label: "semicolon ;"}, {Value: "tab", Label: "tab"}, {Value: "|", Label: "bar |"}}

// dialectOf is how f was read, with the overrides of cfg selected.
func dialectOf(f *dataset.Frame, cfg automl.Config) dialectView {
	d := dialectView{}
	if f != nil {
		d.Encoding, d.DecimalComma = f.Encoding, f.DecimalComma
		d.Delimiter = delimiterLabel(f.Delimiter)
	}
	d.Encodings = append(d.Encodings, option{Value: "", Label: "detect", Selected: cfg.Encoding == ""})
	for _, e := range dataset.Encodings {
		label := e
		if e == dataset.EncodingWindows1252 {
			label += " (Latin-1, Excel in western Europe)"
		}
		d.Encodings = append(d.Encodings, option{Value: e, Label: label, Selected: cfg.Encoding == e})
	}
	d.Delimiters = append(d.Delimiters, option{Value: "", Label: "detect", Selected: cfg.Delimiter == ""})
	for _, o := range delimiters {
		o.Selected = cfg.Delimiter == o.Value || (o.Value == "tab" && cfg.Delimiter == "\t")
		d.Delimiters = append(d.Delimiters, o)
	}
	return d
}

func delimiterLabel(r rune) string {
	switch r {
	case 0:
		return ""
	case '\t':
		return "tab"
	case ',':
		return "comma ,"
	case ';':
		return "semicolon ;"
	}
	return string(r)
}

// start prepares and launches an experiment, then shows its page. A
// problem shows the set-up page again, with the form as it was sent.
func (h *handler) start(w http.ResponseWriter, r *http.Request) {
	started := time.Now() // the budget counts reading the data, as on the command line
	q := r.PostForm
	id := q.Get("upload")
	path := h.s.uploadFile(id)
	if path == "" {
		h.fail(w, r, http.StatusNotFound, "There is no upload "+id+": it was removed (uploads are kept "+h.s.cfg.UploadTTL.String()+", and an upload that started an experiment is moved into it). Upload the file again.")
		return
	}
	if q.Get("action") == "check" {
		h.showSetup(w, r, id, q, http.StatusOK, nil)
		return
	}
	cfg, err := configFrom(q, path, h.s.cfg.Runs)
	if err == nil && cfg.Target == "" {
		err = &fieldError{Field: "target", Msg: "Choose the target column."}
	}
	fo, ferr := finishFrom(q, *h.s.cfg.Finish)
	if err == nil {
		err = ferr
	}
	exec := strings.TrimSpace(q.Get("executor"))
	if err == nil && exec != "" && !strings.HasPrefix(exec, "nats://") && !strings.HasPrefix(exec, "tls://") {
		err = &fieldError{Field: "executor", Msg: fmt.Sprintf("Run trials on %q: leave it empty for this machine, or give a nats:// URL.", exec)}
	}
	if err != nil {
		h.showSetup(w, r, id, q, http.StatusBadRequest, err)
		return
	}
	f, err := h.s.frames.read(path, cfg.ReadOptions())
	if err != nil {
		h.showSetup(w, r, id, q, http.StatusUnprocessableEntity, nil)
		return
	}
	if msg := numericTarget(f, cfg.Target); msg != "" {
		h.showSetup(w, r, id, q, http.StatusUnprocessableEntity, nil)
		return
	}
	name, data, err := h.s.launch(f, cfg, fo, started, exec)
	if err != nil {
		h.showSetup(w, r, id, q, http.StatusUnprocessableEntity, fmt.Errorf("The experiment cannot start: %s", describe(err, filepath.Base(path))))
		return
	}
	h.s.movedUpload(id, path, data)
	http.Redirect(w, r, "/experiments/"+url.PathEscape(name), http.StatusSeeOther)
}

// fieldError is a form value that cannot be used, naming its field.
type fieldError struct{ Field, Msg string }

func (e *fieldError) Error() string { return e.Msg }

// fieldLabels name the form's fields in messages.
var fieldLabels = map[string]string{
	"budget": "Time budget", "train_frac": "Training fraction", "val_frac": "Validation fraction",
	"cv": "Cross-validation folds", "seed": "Seed", "max_trials": "Trial limit", "delimiter": "Separator",
	"encoding": "Encoding", "explain_top": "explain top", "notebooks": "notebooks",
	"finish_share": "finish share", "metric": "Primary metric", "pos_label": "Positive class",
	"search": "Search", "calibration": "Calibration", "ensemble": "Ensemble",
}

// configFrom reads the settings form. Empty fields keep the defaults.
func configFrom(q url.Values, data, runs string) (automl.Config, error) {
	cfg := automl.Config{Data: data, Target: q.Get("target"), Metric: q.Get("metric"), RunsDir: runs, Timeout: 60 * time.Second, Seed: 1,
		AutoCV: true, Search: automl.SearchAdaptive, Calibration: automl.CalibrationAuto, Ensemble: automl.EnsembleAuto,
		PosLabel: q.Get("pos_label"), Encoding: q.Get("encoding")}
	cfg.Split.TrainFrac, cfg.Split.ValFrac = 0.6, 0.2
	num := func(field string, set func(string) error) error {
		if s := strings.TrimSpace(q.Get(field)); s != "" {
			if err := set(s); err != nil {
				return &fieldError{Field: field, Msg: fmt.Sprintf("%s %q: %v.", fieldLabels[field], s, err)}
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
				return fmt.Errorf("expected 0 (one validation split) or 2 to 20 folds")
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
		num("delimiter", func(s string) error {
			if s == "tab" || s == `\t` {
				s = "\t"
			}
			if len(s) != 1 || s[0] >= 0x80 || s == `"` {
				return fmt.Errorf("expected one character, such as , or ; or tab")
			}
			cfg.Delimiter = s
			return nil
		}),
	}
	if cfg.Metric != "" && !slices.Contains(metrics.Names, cfg.Metric) {
		errs = append(errs, &fieldError{Field: "metric", Msg: fmt.Sprintf("Primary metric %q: expected one of %s.", cfg.Metric, strings.Join(metrics.Names, ", "))})
	}
	if cfg.Encoding != "" && !slices.Contains(dataset.Encodings, cfg.Encoding) {
		errs = append(errs, &fieldError{Field: "encoding", Msg: fmt.Sprintf("Encoding %q: expected one of %s.", cfg.Encoding, strings.Join(dataset.Encodings, ", "))})
	}
	for k, vs := range q {
		col, ok := strings.CutPrefix(k, typeField)
		if !ok || len(vs) == 0 || vs[0] == "" {
			continue
		}
		kind := dataset.Kind(vs[0])
		if !slices.Contains(columnKinds, kind) {
			errs = append(errs, &fieldError{Field: k, Msg: fmt.Sprintf("Type of column %q: %q is not a type; expected numeric, categorical, boolean, text, datetime or id.", col, vs[0])})
			continue
		}
		if cfg.Kinds == nil {
			cfg.Kinds = map[string]dataset.Kind{}
		}
		cfg.Kinds[col] = kind
	}
	for _, f := range q["family"] {
		if _, ok := models.Lookup(models.Family(f)); !ok {
			errs = append(errs, &fieldError{Field: "families", Msg: fmt.Sprintf("Model family %q is not one this server knows.", f)})
		}
		cfg.Include = append(cfg.Include, models.Family(f))
	}
	if q.Get("families") == "set" && len(cfg.Include) == 0 {
		errs = append(errs, &fieldError{Field: "families", Msg: "Choose at least one model family."})
	}
	cfg.ExcludeCols = q["exclude"]
	cfg.KeepCols = q["keep"]
	for _, err := range errs {
		if err != nil {
			return cfg, err
		}
	}
	if cfg.Target != "" {
		if err := cfg.Validate(); err != nil {
			if cfg.Split.TrainFrac+cfg.Split.ValFrac > 1 {
				return cfg, &fieldError{Field: "val_frac", Msg: fmt.Sprintf("Training fraction %v plus validation fraction %v leave no rows for the test: their sum must stay below 1.", cfg.Split.TrainFrac, cfg.Split.ValFrac)}
			}
			return cfg, err
		}
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
				return &fieldError{Field: name, Msg: fmt.Sprintf("%s %q: %v.", fieldLabels[name], s, err)}
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
	s.ExplainTop, s.FinishShare = strconv.Itoa(o.ExplainTop), strconv.FormatFloat(o.Share, 'g', -1, 64)
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
	ftoa := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	s := settings{Metric: cfg.Metric, Budget: strconv.Itoa(int(cfg.Timeout / time.Second)), TrainFrac: ftoa(cfg.Split.TrainFrac),
		ValFrac: ftoa(cfg.Split.ValFrac), Seed: strconv.FormatUint(cfg.Seed, 10), MaxTrials: strconv.Itoa(cfg.MaxTrials)}
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
	opts := func(cur string, vals ...[2]string) []option {
		var out []option
		for _, v := range vals {
			out = append(out, option{Value: v[0], Label: v[1], Selected: v[0] == cur})
		}
		return out
	}
	s.Search = opts(cfg.Search, [2]string{automl.SearchAdaptive, "adaptive (starting points, strong defaults, then steps around the best)"}, [2]string{automl.SearchRandom, "random"})
	s.Calibration = opts(cfg.Calibration, [2]string{automl.CalibrationAuto, "auto (chosen per trial on held-out rows)"}, [2]string{automl.CalibrationNone, "none"})
	s.Ensemble = opts(cfg.Ensemble, [2]string{automl.EnsembleAuto, "auto (a weighted blend of the best trials)"}, [2]string{automl.EnsembleNone, "none"})
	for _, d := range models.All() {
		on := slices.Contains(cfg.Include, d.Name) || len(cfg.Include) == 0 && !d.OptIn
		s.Families = append(s.Families, option{Value: string(d.Name), Label: familyLabel(d.Name), Selected: on})
	}
	return s
}

// numericTarget says why target cannot be a class label: a numeric column
// with many values, some too rare to learn ("" when it can be one).
func numericTarget(f *dataset.Frame, target string) string {
	c := f.Column(target)
	if c == nil || c.Kind != dataset.Numeric {
		return ""
	}
	counts := map[string]int{}
	var examples []string
	for i := range c.Len() {
		if c.Missing[i] {
			continue
		}
		s := c.String(i)
		if counts[s] == 0 && len(examples) < 3 {
			examples = append(examples, s)
		}
		counts[s]++
	}
	rare := 0
	for _, n := range counts {
		if n < dataset.MinClassRows {
			rare++
		}
	}
	if len(counts) <= 10 || rare == 0 {
		return ""
	}
	return fmt.Sprintf("The column %q looks numeric (%d different values, such as %s; %d of them on fewer than %d rows): only classification is supported; this tool predicts categories only, not amounts. Pick a categorical target, one whose values are classes such as yes/no or good/bad.",
		target, len(counts), strings.Join(examples, ", "), rare, dataset.MinClassRows)
}

// describe says what is wrong with the file called name in plain words:
// its line and column when the error has them, never the server's folders.
func describe(err error, name string) string {
	var pe *dataset.ParseError
	if errors.As(err, &pe) {
		var b strings.Builder
		b.WriteString(name)
		if pe.Line > 0 {
			fmt.Fprintf(&b, ", line %d", pe.Line)
		}
		switch {
		case pe.Column != "":
			fmt.Fprintf(&b, ", column %q", pe.Column)
		case pe.Field > 0:
			fmt.Fprintf(&b, ", field %d", pe.Field)
		}
		b.WriteString(": ")
		b.WriteString(pe.Msg)
		return b.String()
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, string(filepath.Separator)+name); i >= 0 {
		// "/srv/runs/.uploads/0123/data.csv: ..." -> "data.csv: ..."
		j := strings.LastIndexAny(msg[:i], " \t\n(\"'") + 1
		msg = msg[:j] + msg[i+1:]
	}
	return msg
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
	"roc_auc": "ROC AUC", "pr_auc": "PR AUC", "log_loss": "log loss", "brier": "Brier score", "accuracy": "accuracy",
	"balanced_accuracy": "balanced acc.", "precision": "precision", "recall": "recall", "f1": "F1",
}

func metricLabel(m string) string {
	if l, ok := metricLabels[m]; ok {
		return l
	}
	return m
}
