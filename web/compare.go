package web

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/store"
)

// Comparing: two to four trials of one experiment (metrics, their
// validation curves overlaid, parameters side by side), and experiments
// on the same data (settings, best trials, best-score lines overlaid).

const maxCompare = 4

// palette tells the compared trials or experiments apart: CSS classes
// (static/style.css: colour-blind-safe colours), since the page's content
// security policy allows no inline styles.
var palette = []string{"c0", "c1", "c2", "c3"}

type compareCol struct {
	Title, Sub, URL, Color string
}

type compareRow struct {
	Label  string
	Cells  []compareCell
	Differ bool // the values are not all the same
}

type compareCell struct {
	Text string
	Best bool
}

type curve struct {
	Title, XLabel, YLabel string
	Lines                 []curveLine
	Note                  string
}

type curveLine struct {
	Points, Color, Label string
}

type compareView struct {
	page
	Exp, ExpURL string
	Cols        []compareCol
	Metrics     []compareRow
	Params      []compareRow
	Curves      []curve
	CurveNote   string
}

// trialIDs reads ?t= (repeated or comma-separated): 2 to 4 distinct trials.
func trialIDs(q url.Values) ([]int, error) {
	var ids []int
	for _, v := range q["t"] {
		for _, f := range strings.Split(v, ",") {
			id, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || id < 0 {
				return nil, fmt.Errorf("%q is not a trial number", f)
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) < 2 || len(ids) > maxCompare {
		return nil, fmt.Errorf("choose two to four trials to compare (%d chosen)", len(ids))
	}
	return ids, nil
}

// compareTrials shows two to four trials of an experiment side by side.
func (h *handler) compareTrials(w http.ResponseWriter, r *http.Request) {
	x, ok := h.loadOr404(w, r)
	if !ok {
		return
	}
	ids, err := trialIDs(r.URL.Query())
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, "Cannot compare: "+err.Error()+". Tick the trials in the leaderboard.")
		return
	}
	all, err := h.s.trials(x)
	if err != nil {
		h.fail(w, r, http.StatusInternalServerError, "Cannot read the trials: "+err.Error())
		return
	}
	metric := x.Exp.Config.Metric
	rank := map[int]int{}
	for i, j := range ranking(all, metric) {
		if all[j].Status == "ok" {
			rank[all[j].ID] = i + 1
		}
	}
	var ts []automl.Trial
	for _, id := range ids {
		i := slices.IndexFunc(all, func(t automl.Trial) bool { return t.ID == id })
		if i < 0 {
			h.fail(w, r, http.StatusNotFound, fmt.Sprintf("Experiment %s has no finished trial %d.", x.Exp.Name, id))
			return
		}
		ts = append(ts, all[i])
	}
	base := "/experiments/" + url.PathEscape(x.Exp.Name)
	v := &compareView{Exp: x.Exp.Name, ExpURL: base}
	for i, t := range ts {
		sub := "failed"
		if t.Status == "ok" {
			sub = "rank " + strconv.Itoa(rank[t.ID])
		}
		v.Cols = append(v.Cols, compareCol{Title: "Trial " + strconv.Itoa(t.ID) + ": " + familyLabel(t.Model.Family), Sub: sub,
			URL: base + "/trials/" + strconv.Itoa(t.ID), Color: palette[i]})
	}
	for _, m := range metricColumns(metric) {
		vals := make([]float64, len(ts))
		for i, t := range ts {
			vals[i] = math.NaN()
			if val, ok := t.Val[m]; ok && t.Status == "ok" {
				vals[i] = val
			}
		}
		label := "validation " + metricLabel(m)
		if m == metric {
			label += " (primary)"
		}
		v.Metrics = append(v.Metrics, scoreRow(label, vals, metrics.HigherIsBetter(m)))
	}
	fit := make([]float64, len(ts))
	for i, t := range ts {
		fit[i] = t.Timing.FitSeconds
	}
	fr := scoreRow("fit time", fit, false)
	for i := range fr.Cells {
		fr.Cells[i].Text = formatSeconds(fit[i])
	}
	v.Metrics = append(v.Metrics, fr)
	v.Params = paramRows(ts)
	v.Curves, v.CurveNote = h.s.trialCurves(x, ts)
	h.render(w, r, http.StatusOK, "compare.html", v)
}

// scoreRow is one row of numbers, the best marked.
func scoreRow(label string, vals []float64, higher bool) compareRow {
	row := compareRow{Label: label}
	best := math.NaN()
	for _, v := range vals {
		if !math.IsNaN(v) && (math.IsNaN(best) || (higher && v > best) || (!higher && v < best)) {
			best = v
		}
	}
	for _, v := range vals {
		row.Cells = append(row.Cells, compareCell{Text: formatScore(v), Best: v == best && len(vals) > 1})
	}
	row.Differ = differ(row.Cells)
	return row
}

func differ(cells []compareCell) bool {
	for _, c := range cells[1:] {
		if c.Text != cells[0].Text {
			return true
		}
	}
	return false
}

// paramRows lays the trials' summaries, preprocessing and parameters side
// by side: one row per name any of them has.
func paramRows(ts []automl.Trial) []compareRow {
	var names []string
	vals := make([]map[string]string, len(ts))
	add := func(i int, k, v string) {
		if !slices.Contains(names, k) {
			names = append(names, k)
		}
		vals[i][k] = v
	}
	for i, t := range ts {
		vals[i] = map[string]string{}
		add(i, "family", familyLabel(t.Model.Family))
		add(i, "summary", automl.Describe(t))
		p := t.Prep
		add(i, "encoding", p.Encoding)
		add(i, "scaling", yesNo(p.Scale))
		add(i, "numeric imputation", p.NumericImpute)
		add(i, "categorical imputation", p.CategoricalImpute)
		if t.BestIteration > 0 {
			add(i, "best iteration (early stopping)", strconv.Itoa(t.BestIteration))
		}
		for _, kv := range params(automl.ModelParams(t.Model)) {
			add(i, kv.Key, kv.Value)
		}
	}
	var out []compareRow
	for _, n := range names {
		row := compareRow{Label: n}
		for i := range ts {
			s, ok := vals[i][n]
			if !ok {
				s = "–"
			}
			row.Cells = append(row.Cells, compareCell{Text: s})
		}
		row.Differ = differ(row.Cells)
		out = append(out, row)
	}
	return out
}

// trialCurves draws the trials' ROC and precision-recall curves on their
// held-out predictions (validation rows, or out-of-fold), for two-class
// targets; the note says why there are none.
func (s *Server) trialCurves(x *expState, ts []automl.Trial) ([]curve, string) {
	if x.Exp.Problem != "binary" {
		return nil, "Curves are drawn for two-class targets."
	}
	f, err := s.frames.read(x.Exp.Data.Path, x.Exp.Config.ReadOptions())
	if err != nil {
		return nil, "No curves: the experiment's data file is no longer available."
	}
	p, err := automl.PrepareExperiment(x.Exp, f)
	if err != nil {
		return nil, "No curves: " + s.userError(err)
	}
	tg := p.Data.Target
	label := make(map[int]int, len(tg.Rows))
	for i, r := range tg.Rows {
		label[r] = tg.Y[i]
	}
	roc := curve{Title: "ROC curve (held-out rows)", XLabel: "false positive rate", YLabel: "true positive rate"}
	pr := curve{Title: "Precision–recall curve (held-out rows)", XLabel: "recall", YLabel: "precision"}
	var missing []string
	for i, t := range ts {
		pred, err := automl.ReadPredictions(store.At(x.Store.Dir).Predictions(t.ID))
		if err != nil || pred.Classes < 2 {
			missing = append(missing, strconv.Itoa(t.ID))
			continue
		}
		y := make([]int, len(pred.Rows))
		score := make([]float64, len(pred.Rows))
		for j, r := range pred.Rows {
			y[j] = label[r]
			score[j] = pred.Prob[j*pred.Classes+tg.Positive]
		}
		name := "trial " + strconv.Itoa(t.ID)
		fpr, tpr, _ := metrics.ROCCurve(y, score, tg.Positive)
		roc.Lines = append(roc.Lines, curveLine{Points: polyline(fpr, tpr), Color: palette[i], Label: name})
		prec, rec, _ := metrics.PRCurve(y, score, tg.Positive)
		pr.Lines = append(pr.Lines, curveLine{Points: polyline(rec, prec), Color: palette[i], Label: name})
	}
	note := ""
	if len(missing) > 0 {
		note = "No held-out predictions kept for trial " + strings.Join(missing, ", ") + "."
	}
	if len(roc.Lines) == 0 {
		return nil, note
	}
	return []curve{roc, pr}, note
}

// polyline maps points in [0,1]² to a 300×300 viewBox (y up), keeping at
// most about 300 points.
func polyline(xs, ys []float64) string {
	step := max(1, len(xs)/300)
	var sb strings.Builder
	for i := 0; i < len(xs); i++ {
		if i%step != 0 && i != len(xs)-1 {
			continue
		}
		if math.IsNaN(xs[i]) || math.IsNaN(ys[i]) {
			continue
		}
		sb.WriteString(ff(300*xs[i]) + "," + ff(300-300*ys[i]) + " ")
	}
	return strings.TrimSpace(sb.String())
}
