package web

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/metrics"
)

// The best-score chart's drawing area, in SVG units (static/app.js uses
// the same numbers to redraw it live).
const (
	chartW, chartH = 900.0, 200.0
	chartPad       = 40.0
	chartLeft      = 60.0 // room for the score labels
)

// chartView is the best-score-over-time chart: a polyline in a fixed
// viewBox, its axis labels, and the points as JSON for the live script.
type chartView struct {
	Points           string
	XMax, YMin, YMax string
	Data             string // JSON [[seconds, best score], ...]
	Empty            bool
}

// bestOverTime is the best primary score after each finished trial, by
// the time the trial ended.
func bestOverTime(trials []automl.Trial, metric string) [][2]float64 {
	ts := slices.Clone(trials)
	slices.SortStableFunc(ts, func(a, b automl.Trial) int {
		switch {
		case a.Timing.OffsetSeconds < b.Timing.OffsetSeconds:
			return -1
		case a.Timing.OffsetSeconds > b.Timing.OffsetSeconds:
			return 1
		}
		return 0
	})
	hi := metrics.HigherIsBetter(metric)
	best := math.NaN()
	var out [][2]float64
	for _, t := range ts {
		s := t.Score(metric)
		if math.IsNaN(s) {
			continue
		}
		if math.IsNaN(best) || (hi && s > best) || (!hi && s < best) {
			best = s
		}
		out = append(out, [2]float64{t.Timing.OffsetSeconds, best})
	}
	return out
}

// chart scales points into the viewBox; xMax is at least the time budget.
func chart(pts [][2]float64, budget float64) chartView {
	b, _ := json.Marshal(pts)
	v := chartView{Data: string(b), Empty: len(pts) == 0}
	xmax := budget
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		xmax = max(xmax, p[0])
		ymin, ymax = min(ymin, p[1]), max(ymax, p[1])
	}
	if xmax <= 0 {
		xmax = 1
	}
	if len(pts) == 0 {
		ymin, ymax = 0, 1
	}
	if ymax-ymin < 1e-9 {
		ymin, ymax = ymin-0.01, ymax+0.01
	}
	x := func(t float64) float64 { return chartLeft + (chartW-chartLeft-chartPad/2)*t/xmax }
	y := func(s float64) float64 { return chartH - chartPad/2 - (chartH-chartPad)*(s-ymin)/(ymax-ymin) }
	var sb strings.Builder
	for i, p := range pts {
		if i > 0 { // a step: the best holds until the next improvement
			sb.WriteString(ff(x(p[0])) + "," + ff(y(pts[i-1][1])) + " ")
		}
		sb.WriteString(ff(x(p[0])) + "," + ff(y(p[1])) + " ")
	}
	v.Points = strings.TrimSpace(sb.String())
	v.XMax = formatSeconds(xmax)
	v.YMin, v.YMax = formatScore(ymin), formatScore(ymax)
	return v
}

func ff(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
