package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/store"
)

// plotKinds are the explanation plots a trial page shows, each with the
// file names (under trials/<id>/explain/, without extension) package
// explain gives it, held-out test rows first.
var plotKinds = []struct {
	Key, Title string
	Names      []string
}{
	{"roc", "ROC curve", []string{"roc_test", "roc_validation", "roc"}},
	{"pr", "Precision–recall curve", []string{"pr_test", "pr_validation", "pr"}},
	{"confusion", "Confusion matrix", []string{"confusion_test", "confusion_validation", "confusion"}},
	{"calibration", "Calibration", []string{"calibration_test", "calibration_validation", "calibration"}},
	{"shap_bar", "SHAP importance", []string{"shap_bar"}},
	{"shap_beeswarm", "SHAP beeswarm", []string{"shap_beeswarm"}},
}

type metricRow struct {
	Label, Val, Test string
	Primary          bool
}

type kv struct{ Key, Value string }

type plot struct {
	Key, Title, URL, Alt string
}

type trialView struct {
	page
	Exp, ExpURL    string
	Status, Error  string
	Trial          automl.Trial
	Rank, Of       int
	Family, Desc   string
	Metric         string
	Metrics        []metricRow
	Folds          int
	Prep           []kv
	Columns        []string
	Params         []kv
	Plots          []plot // the plots made (explain/ files found)
	Missing        int    // plots not made
	Explain        string // URL of the explain job (POST starts it, GET reads it); "" when the trial cannot be explained
	Job            jobStatus
	Running        bool // the experiment is still running here: explanations wait for its end
	Notebook       string
	Bundle, Zip    string
	PredictCommand string
}

// trial is a trial's page: metrics, preprocessing and hyperparameters,
// plots, downloads and the command to score new data with it.
func (h *handler) trial(w http.ResponseWriter, r *http.Request) {
	x, ok := h.loadOr404(w, r)
	if !ok {
		return
	}
	id, err := strconv.Atoi(r.PathValue("id"))
	if err == nil && strconv.Itoa(id) != r.PathValue("id") {
		err = strconv.ErrSyntax // one spelling per trial: no "007" or "+7"
	}
	trials, terr := h.s.trials(x)
	if terr != nil {
		h.fail(w, r, http.StatusInternalServerError, "Cannot read the trials: "+terr.Error())
		return
	}
	var t *automl.Trial
	for i := range trials {
		if err == nil && trials[i].ID == id {
			t = &trials[i]
		}
	}
	if t == nil {
		h.fail(w, r, http.StatusNotFound, fmt.Sprintf("Experiment %s has no finished trial %q.", x.Exp.Name, r.PathValue("id")))
		return
	}
	metric := x.Exp.Config.Metric
	base := "/experiments/" + url.PathEscape(x.Exp.Name)
	tdir := x.Store.Layout.Trial(id)
	if t.Status == "ok" {
		automl.Pin(tdir, "opened") // retention keeps the bundle of a trial a person looked at
	}
	v := &trialView{Exp: x.Exp.Name, ExpURL: base, Status: t.Status, Error: t.Error, Trial: *t,
		Family: familyLabel(t.Model.Family), Desc: automl.Describe(*t), Metric: metricLabel(metric), Folds: len(t.Folds)}
	for i, j := range ranking(trials, metric) {
		if trials[j].Status == "ok" {
			v.Of++
			if trials[j].ID == id {
				v.Rank = i + 1
			}
		}
	}
	for _, m := range metricColumns(metric)[:len(metrics.Names)] {
		v.Metrics = append(v.Metrics, metricRow{Label: metricLabel(m), Val: lookup(t.Val, m), Test: lookup(t.Test, m), Primary: m == metric})
	}
	p := t.Prep
	v.Prep = []kv{{"numeric imputation", p.NumericImpute}, {"scaling", yesNo(p.Scale)},
		{"categorical imputation", p.CategoricalImpute}, {"encoding", p.Encoding}}
	if p.CategoricalImpute == "constant" {
		v.Prep = append(v.Prep, kv{"fill value", p.FillValue})
	}
	if p.MaxCategories > 0 {
		v.Prep = append(v.Prep, kv{"categories kept per column", strconv.Itoa(p.MaxCategories)})
	}
	if t.Features > 0 {
		v.Prep = append(v.Prep, kv{"features after preprocessing", strconv.Itoa(t.Features)})
	}
	for _, c := range p.Columns {
		v.Columns = append(v.Columns, c.Name+" ("+string(c.Kind)+")")
	}
	v.Params = params(automl.ModelParams(t.Model))
	v.Params = append([]kv{{"seed", strconv.FormatUint(t.Seed, 10)}}, v.Params...)
	if t.BestIteration > 0 {
		v.Params = append(v.Params, kv{"best iteration (early stopping)", strconv.Itoa(t.BestIteration)})
	}
	lay, rel := store.At(x.Store.Dir), store.At("") // rel: paths under the experiment's files/ URL
	fileURL := func(path string) string { return base + "/files/" + filepath.ToSlash(path) }
	for _, k := range plotKinds {
		pl := plot{Key: k.Key, Title: k.Title, Alt: k.Title + " of trial " + strconv.Itoa(id)}
	find:
		for _, n := range k.Names {
			for _, ext := range []string{".png", ".svg"} {
				if fileExists(lay.ExplainFile(id, n+ext)) {
					pl.URL = fileURL(rel.ExplainFile(id, n+ext))
					break find
				}
			}
		}
		if pl.URL == "" {
			v.Missing++
			continue
		}
		v.Plots = append(v.Plots, pl)
	}
	if fileExists(lay.Notebook(id)) {
		v.Notebook = fileURL(rel.Notebook(id))
	}
	if t.Status == "ok" {
		v.Explain = base + "/trials/" + strconv.Itoa(id) + "/explain"
		v.Job = h.s.jobs.get(x.Exp.Name, id).status()
		v.Running = x.Status == "running"
	}
	if fileExists(lay.Bundle(id)) {
		v.Bundle = base + "/trials/" + strconv.Itoa(id) + "/bundle.zip"
		// The downloaded bundle, not the server's folder: the zip holds
		// <exp>-trial<id>/ (zipTrial).
		folder := x.Exp.Name + "-trial" + strconv.Itoa(id)
		v.PredictCommand = "unzip " + shellQuote(folder+"-bundle.zip") + " && automl predict --model " + shellQuote(folder) + " --data new.csv"
	}
	if _, err := os.Stat(tdir); err == nil {
		v.Zip = base + "/trials/" + strconv.Itoa(id) + "/artifacts.zip"
	}
	h.render(w, r, http.StatusOK, "trial.html", v)
}

func lookup(m map[string]float64, k string) string {
	v, ok := m[k]
	if !ok || math.IsNaN(v) {
		return "–"
	}
	return formatScore(v)
}

func yesNo(b bool) string {
	if b {
		return "standard (mean 0, variance 1)"
	}
	return "none"
}

// params lists a params struct's JSON fields in declaration order, named
// for people ("max depth"); a zero value whose field has a zero tag (what
// zero means, declared with the params) shows that meaning instead.
func params(p any) []kv {
	if p == nil {
		return nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil
	}
	zero := zeroMeanings(p)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var out []kv
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return out
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return out
		}
		name := fmt.Sprint(k)
		val := strings.Trim(string(raw), `"`)
		if z, ok := zero[name]; ok && (val == "0" || val == "") {
			val = z
		}
		out = append(out, kv{Key: strings.ReplaceAll(name, "_", " "), Value: val})
	}
	return out
}

// zeroMeanings reads the zero tags of a params struct: JSON name -> what
// the zero value means.
func zeroMeanings(p any) map[string]string {
	t := reflect.TypeOf(p)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	out := map[string]string{}
	for f := range t.Fields() {
		z, ok := f.Tag.Lookup("zero")
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		out[name] = z
	}
	return out
}

// shellQuote quotes a path for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
