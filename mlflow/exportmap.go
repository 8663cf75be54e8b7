package mlflow

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/store"
)

// Tags the export sets on its runs. The identity tags (TagParent on an experiment's parent run,
// TagTrial on a trial's run) are how an export finds what an earlier export made; TagComplete
// is set last on each run, so a run without it was interrupted and is finished by the next
// export.
const (
	TagTrial       = "goautoml.trial"           // "<experiment>/<trial id>", on trial runs
	TagParent      = "goautoml.parent"          // "<experiment>", on the experiment's parent run
	TagExperiment  = "goautoml.experiment"      // "<experiment>", on every run
	TagTrialID     = "goautoml.trial_id"        // "<trial id>"
	TagFamily      = "goautoml.family"          // model family
	TagSeed        = "goautoml.seed"            // trial seed (decimal)
	TagDataSHA256  = "goautoml.data_sha256"     // training data hash
	TagStatus      = "goautoml.status"          // trial status ("ok", "failed") or experiment status
	TagComplete    = "goautoml.export_complete" // fingerprint of what was exported, set last
	TagParentRunID = "mlflow.parentRunId"       // MLflow's own nesting tag
)

// Flavor is the MLflow Model flavor of this product's bundles.
const Flavor = "goautoml"

// metricNames maps this product's metric names to the names Databricks AutoML logs (sklearn's
// function names). pr_auc is average precision (step-wise, as
// sklearn.metrics.average_precision_score computes it, not a trapezoidal area), so it is logged
// as average_precision_score.
var metricNames = map[string]string{
	"roc_auc":           "roc_auc_score",
	"pr_auc":            "average_precision_score",
	"log_loss":          "log_loss",
	"brier":             "brier_score_loss",
	"accuracy":          "accuracy_score",
	"balanced_accuracy": "balanced_accuracy_score",
	"precision":         "precision_score",
	"recall":            "recall_score",
	"f1":                "f1_score",
}

// MetricName returns the MLflow name of metric name on split ("val" or "test"), e.g.
// MetricName("val", "roc_auc") = "val_roc_auc_score". Names without a mapping keep their own.
func MetricName(split, name string) string {
	if m, ok := metricNames[name]; ok {
		name = m
	}
	return split + "_" + name
}

// trialMetrics are a trial's validation and test metrics under their MLflow names. NaN and
// infinite values are left out: MLflow stores them, but they break its charts and sorting.
func trialMetrics(t automl.Trial, ts int64) []Metric {
	m := map[string]float64{}
	for split, vals := range map[string]map[string]float64{"val": t.Val, "test": t.Test} {
		for k, v := range vals {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				m[MetricName(split, k)] = v
			}
		}
	}
	if t.Timing.FitSeconds > 0 {
		m["fit_seconds"] = t.Timing.FitSeconds
	}
	return MetricsFromMap(m, ts, 0)
}

// trialParams flattens the preprocessing spec under "prep." and the model family's params
// under "model." (plus model.family). The list of input columns, the same for every trial, is
// one param holding the column names.
func trialParams(t automl.Trial) ([]Param, error) {
	prep := t.Prep
	cols := make([]string, len(prep.Columns))
	for i, c := range prep.Columns {
		cols[i] = c.Name
	}
	prep.Columns = nil
	ps, err := FlattenParams("prep", prep)
	if err != nil {
		return nil, err
	}
	names, err := json.Marshal(cols)
	if err != nil {
		return nil, err
	}
	ps = append(ps, Param{Key: "prep.columns", Value: string(names)},
		Param{Key: "model.family", Value: string(t.Model.Family)})
	if mp := automl.ModelParams(t.Model); mp != nil {
		more, err := FlattenParams("model", mp)
		if err != nil {
			return nil, err
		}
		ps = append(ps, more...)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Key < ps[j].Key })
	return ps, nil
}

// trialTags are a trial run's tags besides its identity tag.
func trialTags(e *automl.Experiment, t automl.Trial, parentRunID string) []Tag {
	m := map[string]string{
		TagExperiment: e.Name,
		TagTrialID:    strconv.Itoa(t.ID),
		TagFamily:     string(t.Model.Family),
		TagSeed:       strconv.FormatUint(t.Seed, 10),
		TagDataSHA256: e.Data.SHA256,
		TagStatus:     t.Status,
	}
	if parentRunID != "" {
		m[TagParentRunID] = parentRunID
	}
	if t.Error != "" {
		m["goautoml.error"] = t.Error
	}
	if e.Best != nil && *e.Best == t.ID {
		m["goautoml.best"] = "true"
	}
	return TagsFromMap(m)
}

// experimentParams and experimentTags describe the experiment on its parent run: data, target,
// split, search settings, the guardrails' decisions and a profile summary.
func experimentParams(e *automl.Experiment) []Param {
	cfg := e.Config
	p := map[string]string{
		"data.path":           e.Data.Path,
		"data.rows":           strconv.Itoa(e.Data.Rows),
		"data.columns":        strconv.Itoa(e.Data.Columns),
		"problem":             e.Problem,
		"metric":              cfg.Metric,
		"seed":                strconv.FormatUint(cfg.Seed, 10),
		"max_trials":          strconv.Itoa(cfg.MaxTrials),
		"timeout_seconds":     strconv.FormatFloat(cfg.Timeout.Seconds(), 'g', -1, 64),
		"split.train":         strconv.Itoa(e.Split.Train),
		"split.val":           strconv.Itoa(e.Split.Val),
		"split.test":          strconv.Itoa(e.Split.Test),
		"plan.features":       strconv.Itoa(len(e.Plan.Columns)),
		"plan.dropped":        strconv.Itoa(len(e.Plan.Dropped)),
		"plan.max_categories": strconv.Itoa(e.Plan.MaxCategories),
	}
	if e.Target != nil {
		p["target"] = e.Target.Column
		p["target.classes"] = jsonText(e.Target.Classes)
		p["target.counts"] = jsonText(e.Target.Counts)
		if e.Target.Positive >= 0 && e.Target.Positive < len(e.Target.Classes) {
			p["target.positive"] = e.Target.Classes[e.Target.Positive]
		}
	}
	if len(cfg.Include) > 0 {
		p["include"] = jsonText(cfg.Include)
	}
	if len(cfg.Exclude) > 0 {
		p["exclude"] = jsonText(cfg.Exclude)
	}
	if len(e.Split.Folds) > 0 {
		p["split.folds"] = jsonText(e.Split.Folds)
	}
	if e.Plan.ClassWeights != nil {
		p["plan.class_weights"] = jsonText(e.Plan.ClassWeights)
	}
	for _, d := range e.Plan.Dropped {
		p["dropped."+d.Name] = d.Reason
	}
	if pr := e.Profile; pr != nil {
		missing, kinds := 0, map[string]int{}
		for _, c := range pr.Columns {
			missing += c.Missing
			kinds[string(c.Kind)]++
		}
		p["profile.rows"] = strconv.Itoa(pr.Rows)
		p["profile.columns"] = strconv.Itoa(len(pr.Columns))
		p["profile.missing_cells"] = strconv.Itoa(missing)
		p["profile.alerts"] = strconv.Itoa(len(pr.Alerts))
		for k, n := range kinds {
			p["profile.kind."+k] = strconv.Itoa(n)
		}
	}
	out := make([]Param, 0, len(p))
	for k, v := range p {
		out = append(out, Param{Key: SanitizeKey(k), Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// experimentTags carry the identity, status and the guardrails' findings: one tag per
// guardrail (goautoml.guardrail.<code>[.<column>] = "<level>: <message>") and per profile alert
// (goautoml.alert.<code>.<column>).
func experimentTags(e *automl.Experiment) []Tag {
	m := map[string]string{
		TagExperiment:            e.Name,
		TagDataSHA256:            e.Data.SHA256,
		TagStatus:                e.Status,
		"goautoml.version":       e.Version,
		"goautoml.trials":        strconv.Itoa(e.Trials),
		"goautoml.failed_trials": strconv.Itoa(e.Failed),
		"mlflow.note.content":    experimentNote(e),
	}
	if e.StopReason != "" {
		m["goautoml.stop_reason"] = string(e.StopReason)
	}
	if e.Error != "" {
		m["goautoml.error"] = e.Error
	}
	if e.Best != nil {
		m["goautoml.best_trial"] = strconv.Itoa(*e.Best)
	}
	add := func(key, value string) {
		for i := 2; ; i++ {
			if _, taken := m[key]; !taken {
				m[key] = value
				return
			}
			key = strings.TrimSuffix(key, "."+strconv.Itoa(i-1)) + "." + strconv.Itoa(i)
		}
	}
	for _, g := range e.Plan.Guardrails {
		key := "goautoml.guardrail." + g.Code
		if g.Column != "" {
			key += "." + g.Column
		}
		v := g.Level + ": " + g.Message
		if g.Action != "" {
			v += " (" + g.Action + ")"
		}
		add(SanitizeKey(key), v)
	}
	if e.Profile != nil {
		for _, a := range e.Profile.Alerts {
			add(SanitizeKey("goautoml.alert."+a.Code+"."+a.Column), a.Message)
		}
	}
	return TagsFromMap(m)
}

// experimentNote is the parent run's description (shown by the MLflow UI).
func experimentNote(e *automl.Experiment) string {
	var b strings.Builder
	fmt.Fprintf(&b, "goautoml experiment %s: %s classification of %s", e.Name, e.Problem, filepath.Base(e.Data.Path))
	if e.Target != nil {
		fmt.Fprintf(&b, " (target %s)", e.Target.Column)
	}
	fmt.Fprintf(&b, ", %d trials, ranked by validation %s.", e.Trials, e.Config.Metric)
	if e.Best != nil {
		fmt.Fprintf(&b, " Best trial: %d.", *e.Best)
	}
	return b.String()
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// millis is t in Unix milliseconds, 0 for the zero time.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// trialEnd is when a trial finished, from its record (so that re-exports log the same
// timestamps and MLflow keeps one copy of each metric value).
func trialEnd(t automl.Trial) time.Time {
	if t.Timing.Started.IsZero() {
		return time.Time{}
	}
	return t.Timing.Started.Add(time.Duration(t.Timing.WallSeconds * float64(time.Second)))
}

// localFile is a file an export uploads: rel is its artifact path, path the local file.
type localFile struct{ rel, path string }

// collect lists the regular files under dir as artifacts under prefix, in lexical order,
// leaving out hidden files and folders and whatever skip accepts (rel is slash-separated and
// relative to dir). A missing dir gives no files.
func collect(dir, prefix string, skip func(rel string, isDir bool) bool) []localFile {
	var out []localFile
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return nil
		}
		rel, rerr := filepath.Rel(dir, p)
		if rerr != nil {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(d.Name(), ".") || skip != nil && skip(rel, d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			out = append(out, localFile{rel: path.Join(prefix, rel), path: p})
		}
		return nil
	})
	return out
}

// fingerprint identifies what an export sends for one run: the record's JSON, the extra bytes
// and the artifact path and size of every file. A run whose TagComplete equals it needs
// nothing; when `automl explain` later adds plots, it differs and the next export uploads them.
func fingerprint(record any, extra []byte, files []localFile) string {
	h := sha256.New()
	b, _ := json.Marshal(record)
	h.Write(b)
	h.Write(extra)
	for _, f := range files {
		var size int64 = -1
		if fi, err := os.Stat(f.path); err == nil {
			size = fi.Size()
		}
		fmt.Fprintf(h, "\x00%s\x00%d", f.rel, size)
	}
	return "v1:" + hex.EncodeToString(h.Sum(nil))[:16]
}

// bundleHead is the part of model.json the MLmodel file needs.
type bundleHead struct {
	Format     int            `json:"format"`
	Family     string         `json:"family"`
	Target     string         `json:"target"`
	Classes    []string       `json:"classes"`
	Positive   int            `json:"positive"`
	Inputs     []bundle.Input `json:"inputs"`
	DataSHA256 string         `json:"data_sha256"`
	Metric     string         `json:"metric"`
}

// OutputColumns are the signature's outputs for a model with these classes: the predicted
// label ("prediction", a string) and one probability per class ("probability_<class>").
func OutputColumns(classes []string) []ColumnSpec {
	out := []ColumnSpec{{Type: TypeString, Name: "prediction", Required: true}}
	for _, c := range classes {
		out = append(out, ColumnSpec{Type: TypeDouble, Name: "probability_" + c, Required: true})
	}
	return out
}

// modelInfo describes the MLflow Model of the bundle in dir (BundleDir left for the caller).
// Every input column is required (a scorer needs the column; its cells may be missing).
func modelInfo(dir string, t automl.Trial, runID string, created time.Time) (ModelInfo, error) {
	p := store.Bundle(dir)
	b, err := os.ReadFile(p)
	if err != nil {
		return ModelInfo{}, err
	}
	var h bundleHead
	if err := json.Unmarshal(b, &h); err != nil {
		return ModelInfo{}, fmt.Errorf("%s: %w", p, err)
	}
	if len(h.Inputs) == 0 || len(h.Classes) == 0 {
		return ModelInfo{}, fmt.Errorf("%s: the bundle lists no inputs or no classes", p)
	}
	m := ModelInfo{Flavor: Flavor, FlavorVersion: automl.Version, RunID: runID, Seed: t.Seed, Created: created,
		Outputs: OutputColumns(h.Classes),
		FlavorConfig: map[string]string{
			"model_family":  h.Family,
			"target":        h.Target,
			"classes":       jsonText(h.Classes),
			"bundle_format": strconv.Itoa(h.Format),
			"data_sha256":   h.DataSHA256,
			"loader":        "github.com/goautoml/automl/bundle.Load",
		}}
	if h.Positive >= 0 && h.Positive < len(h.Classes) && len(h.Classes) == 2 {
		m.FlavorConfig["positive_class"] = h.Classes[h.Positive]
	}
	m.Example = make([]string, len(h.Inputs))
	for i, c := range h.Inputs {
		col := ColumnSpec{Type: KindType(c.Kind), Name: c.Name, Required: true}
		m.Inputs = append(m.Inputs, col)
		if _, err := exampleValue(col, c.Example); err == nil {
			m.Example[i] = c.Example // else left missing: the example must parse as its type
		}
	}
	return m, nil
}
