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
)

// expCompareView compares experiments on the same data; with one
// experiment chosen it offers the others on the same data to pick from.
type expCompareView struct {
	page
	Names   []string // chosen
	Cols    []compareCol
	Rows    []compareRow
	Chart   []curveLine // best-so-far lines, one per experiment
	XMax    string
	YMin    string
	YMax    string
	Metric  string
	Note    string
	Choices []expChoice // other experiments on the same data
	Data    string
}

// compareExperiments shows two to four experiments on the same data side
// by side (?e=name, repeated).
func (h *handler) compareExperiments(w http.ResponseWriter, r *http.Request) {
	var names []string
	for _, n := range r.URL.Query()["e"] {
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if len(names) == 0 || len(names) > maxCompare {
		h.fail(w, r, http.StatusBadRequest, fmt.Sprintf("Cannot compare: choose one to four experiments (%d chosen).", len(names)))
		return
	}
	var xs []*expState
	for _, n := range names {
		x, err := h.s.load(n)
		if err != nil {
			h.fail(w, r, http.StatusNotFound, "There is no experiment called "+strconv.Quote(n)+".")
			return
		}
		if len(xs) > 0 && x.Exp.Data.SHA256 != xs[0].Exp.Data.SHA256 {
			h.fail(w, r, http.StatusBadRequest, "Cannot compare "+xs[0].Exp.Name+" with "+n+": they learned from different data.")
			return
		}
		xs = append(xs, x)
	}
	v := &expCompareView{Names: names, Data: xs[0].Exp.Data.Path}
	if i := strings.LastIndexAny(v.Data, `/\`); i >= 0 {
		v.Data = v.Data[i+1:]
	}
	// The other experiments on the same data, to add.
	if all, err := h.s.experimentNames(); err == nil {
		for _, n := range all {
			if slices.Contains(names, n) {
				continue
			}
			if x, err := h.s.load(n); err == nil && x.Exp.Data.SHA256 == xs[0].Exp.Data.SHA256 {
				v.Choices = append(v.Choices, expChoice{Value: n, Label: n + " (" + x.Exp.Started.Local().Format("2006-01-02 15:04") + ")"})
			}
		}
	}
	sameMetric := true
	for _, x := range xs {
		sameMetric = sameMetric && x.Exp.Config.Metric == xs[0].Exp.Config.Metric
	}
	type result struct {
		x      *expState
		trials []automl.Trial
		best   *automl.Trial
	}
	var res []result
	for i, x := range xs {
		ts, err := h.s.trials(x)
		if err != nil {
			h.fail(w, r, http.StatusInternalServerError, "Cannot read the trials of "+x.Exp.Name+": "+err.Error())
			return
		}
		rs := result{x: x, trials: ts}
		if lb := automl.Leaderboard(ts, x.Exp.Config.Metric); len(lb) > 0 && lb[0].Status == "ok" {
			rs.best = &lb[0]
		}
		res = append(res, rs)
		v.Cols = append(v.Cols, compareCol{Title: x.Exp.Name, Sub: x.Status, URL: "/experiments/" + url.PathEscape(x.Exp.Name), Color: palette[i]})
	}
	text := func(label string, f func(result) string) {
		row := compareRow{Label: label}
		for _, rs := range res {
			row.Cells = append(row.Cells, compareCell{Text: f(rs)})
		}
		row.Differ = differ(row.Cells)
		v.Rows = append(v.Rows, row)
	}
	text("started", func(rs result) string { return rs.x.Exp.Started.Local().Format("2006-01-02 15:04:05") })
	text("primary metric", func(rs result) string { return metricLabel(rs.x.Exp.Config.Metric) })
	text("time budget", func(rs result) string {
		if rs.x.Exp.Config.Timeout <= 0 {
			return "none"
		}
		return formatSeconds(rs.x.Exp.Config.Timeout.Seconds())
	})
	text("trial limit", func(rs result) string {
		if rs.x.Exp.Config.MaxTrials == 0 {
			return "none"
		}
		return strconv.Itoa(rs.x.Exp.Config.MaxTrials)
	})
	text("families", func(rs result) string {
		if len(rs.x.Exp.Config.Include) == 0 {
			return "all"
		}
		var ls []string
		for _, f := range rs.x.Exp.Config.Include {
			ls = append(ls, familyLabel(f))
		}
		return strings.Join(ls, ", ")
	})
	text("search", func(rs result) string { return cmpOr(rs.x.Exp.Config.Search, "random") })
	text("split", func(rs result) string {
		sp := rs.x.Exp.Split
		s := fmt.Sprintf("%d train / %d validation / %d test", sp.Train, sp.Val, sp.Test)
		if len(sp.Folds) > 0 {
			s += fmt.Sprintf(", %d folds", len(sp.Folds))
		}
		return s
	})
	text("seed", func(rs result) string { return strconv.FormatUint(rs.x.Exp.Config.Seed, 10) })
	text("trials (failed)", func(rs result) string {
		failed := 0
		for _, t := range rs.trials {
			if t.Status != "ok" {
				failed++
			}
		}
		return fmt.Sprintf("%d (%d)", len(rs.trials), failed)
	})
	text("best trial", func(rs result) string {
		if rs.best == nil {
			return "–"
		}
		return fmt.Sprintf("%d: %s", rs.best.ID, familyLabel(rs.best.Model.Family))
	})
	text("best trial's model", func(rs result) string {
		if rs.best == nil {
			return "–"
		}
		return automl.Describe(*rs.best)
	})
	if sameMetric {
		m := xs[0].Exp.Config.Metric
		v.Metric = metricLabel(m)
		for _, name := range metricColumns(m) {
			vals := make([]float64, len(res))
			for i, rs := range res {
				vals[i] = math.NaN()
				if rs.best != nil {
					if val, ok := rs.best.Val[name]; ok {
						vals[i] = val
					}
				}
			}
			label := "best trial's validation " + metricLabel(name)
			v.Rows = append(v.Rows, scoreRow(label, vals, metrics.HigherIsBetter(name)))
		}
		v.Chart, v.XMax, v.YMin, v.YMax = overlay(res, func(rs result) [][2]float64 { return bestOverTime(rs.trials, m) })
	} else {
		v.Note = "The experiments rank by different metrics, so their scores are not compared."
	}
	h.render(w, r, http.StatusOK, "compare_experiments.html", v)
}

// overlay scales several best-so-far series onto one 900×200 chart.
func overlay[R any](res []R, series func(R) [][2]float64) (lines []curveLine, xmax, ymin, ymax string) {
	xm, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
	all := make([][][2]float64, len(res))
	for i, r := range res {
		all[i] = steps(series(r))
		for _, p := range all[i] {
			xm, lo, hi = max(xm, p[0]), min(lo, p[1]), max(hi, p[1])
		}
	}
	if xm <= 0 {
		xm = 1
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0, 1
	}
	if hi-lo < 1e-9 {
		lo, hi = lo-0.01, hi+0.01
	}
	for i, pts := range all {
		var sb strings.Builder
		for j, p := range pts {
			x := chartPad + (chartW-2*chartPad)*p[0]/xm
			y := func(s float64) float64 { return chartH - chartPad - (chartH-2*chartPad)*(s-lo)/(hi-lo) }
			if j > 0 {
				sb.WriteString(ff(x) + "," + ff(y(pts[j-1][1])) + " ")
			}
			sb.WriteString(ff(x) + "," + ff(y(p[1])) + " ")
		}
		lines = append(lines, curveLine{Points: strings.TrimSpace(sb.String()), Color: palette[i]})
	}
	return lines, formatSeconds(xm), formatScore(lo), formatScore(hi)
}

// expChoice is one experiment offered for comparison.
type expChoice struct{ Value, Label string }
