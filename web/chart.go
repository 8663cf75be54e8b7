package web

import (
	"cmp"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/metrics"
)

// The best-score chart's drawing area, in SVG units (static/app.js uses
// the same numbers to redraw it live). The axis labels are HTML beside the
// SVG, so they keep their size when the chart shrinks to a phone's width.
const (
	chartW, chartH = 900.0, 200.0
	chartPad       = 8.0
)

// chartView is the best-score-over-time chart: a polyline in a fixed
// viewBox, its axis labels, and the trials' scores as JSON for the live
// script, which recomputes the best-so-far line from them.
type chartView struct {
	Points           string
	XMax, YMin, YMax string
	Data             string // JSON [[seconds, score], ...]: every scored trial, by finish time
	Empty            bool
}

// finishOrder returns the scored trials' (finish time, score) pairs ordered
// by the time they finished. Trials are committed in ID order, which is not
// the order they finish in when several run at once; ties keep ID order.
func finishOrder(trials []automl.Trial, metric string) [][2]float64 {
	var out [][2]float64
	for _, t := range trials {
		if s := t.Score(metric); !math.IsNaN(s) {
			out = append(out, [2]float64{t.Timing.OffsetSeconds, s})
		}
	}
	slices.SortStableFunc(out, func(a, b [2]float64) int { return cmp.Compare(a[0], b[0]) })
	return out
}

// bestSoFar turns scores in finish order into the best score after each:
// a series that never gets worse.
func bestSoFar(pts [][2]float64, metric string) [][2]float64 {
	hi := metrics.HigherIsBetter(metric)
	out := make([][2]float64, len(pts))
	for i, p := range pts {
		best := p[1]
		if i > 0 {
			prev := out[i-1][1]
			if (hi && prev > best) || (!hi && prev < best) {
				best = prev
			}
		}
		out[i] = [2]float64{p[0], best}
	}
	return out
}

// bestOverTime is the best primary score after each finished trial, by
// the time the trial ended.
func bestOverTime(trials []automl.Trial, metric string) [][2]float64 {
	return bestSoFar(finishOrder(trials, metric), metric)
}

// scoreChart is the chart of an experiment's trials; the x axis spans at
// least the time budget. With live set, Data holds every trial's score for
// the script that redraws the chart as trials arrive.
func scoreChart(trials []automl.Trial, metric string, budget float64, live bool) chartView {
	raw := finishOrder(trials, metric)
	v := chart(bestSoFar(raw, metric), budget)
	v.Data = "[]"
	if live {
		b, _ := json.Marshal(raw)
		v.Data = string(b)
	}
	return v
}

// chart scales best-so-far points into the viewBox; xMax is at least the
// time budget.
func chart(pts [][2]float64, budget float64) chartView {
	v := chartView{Data: "[]", Empty: len(pts) == 0}
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
	x := func(t float64) float64 { return chartPad + (chartW-2*chartPad)*t/xmax }
	y := func(s float64) float64 { return chartH - chartPad - (chartH-2*chartPad)*(s-ymin)/(ymax-ymin) }
	var sb strings.Builder
	st := steps(pts)
	for i, p := range st {
		if i > 0 { // a step: the best holds until the next improvement
			sb.WriteString(ff(x(p[0])) + "," + ff(y(st[i-1][1])) + " ")
		}
		sb.WriteString(ff(x(p[0])) + "," + ff(y(p[1])) + " ")
	}
	v.Points = strings.TrimSpace(sb.String())
	v.XMax = formatSeconds(xmax)
	v.YMin, v.YMax = formatScore(ymin), formatScore(ymax)
	return v
}

// steps keeps the points of a best-so-far series where the best changes,
// and the last one: the line between them is flat (thousands of trials
// draw a few dozen points). static/app.js draws the same points.
func steps(pts [][2]float64) [][2]float64 {
	var out [][2]float64
	for i, p := range pts {
		if i == 0 || i == len(pts)-1 || p[1] != pts[i-1][1] {
			out = append(out, p)
		}
	}
	return out
}

func ff(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
