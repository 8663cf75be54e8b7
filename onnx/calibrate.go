package onnx

import (
	"fmt"
	"math"

	"github.com/goautoml/automl/calibrate"
)

// Calibration maps the blended probabilities of a bundle, as package bundle's calibration
// does: binary targets have one map (for Class; the other class gets 1 - p), multiclass
// targets one map per class followed by a division by the row's sum (1/k each when the sum
// is 0); values in (1, 1+1e-5] then become 1.
//
// Prior, when set, are the class weights of class-weighted training: each row is first
// divided by them and rescaled to sum to 1 (1/k each when the sum is not positive), which
// undoes the prior shift the weights cause. Method "prior" applies only that, with no maps.
//
// Method "temperature" has no maps: each row becomes the softmax of its log-probabilities
// (probabilities first raised to 1e-15) divided by Temperature.
type Calibration struct {
	Method      string // "platt", "isotonic", "temperature" or "prior"
	Prior       []float64
	Maps        []CalibrationMap
	Temperature float64
}

// CalibrationMap is the calibrator of one class. Platt: p' = 1 / (1 + exp(A·p + B)).
// Isotonic: the linear interpolation of the points (X, Y), X strictly increasing, clipped
// to the end points.
type CalibrationMap struct {
	Class int
	A, B  float64
	X, Y  []float64
}

// Threshold decides a binary target's label: Positive when its probability is at least
// Value, the other class otherwise.
type Threshold struct {
	Value    float64
	Positive int
}

// column returns column c of the [N, K] matrix p as [N, 1].
func (g *graph) column(p string, c int) string {
	return g.node("Gather", []string{p, g.ints("class", int64(c))}, intAttr("axis", 1))
}

// calibrate adds the calibration of the [N, K] probabilities p.
func (g *graph) calibrate(p string, k int, c *Calibration) (string, error) {
	apply := func(m CalibrationMap, col string) (string, error) {
		switch c.Method {
		case "platt":
			z := g.node("Add", []string{g.node("Mul", []string{col, g.scalar(m.A)}), g.scalar(m.B)})
			return g.node("Div", []string{g.scalar(1), g.node("Add", []string{g.scalar(1), g.node("Exp", []string{z})})}), nil
		case "isotonic":
			return g.isotonic(col, m.X, m.Y)
		}
		return "", fmt.Errorf("onnx: calibration method %q, want platt, isotonic, temperature or prior", c.Method)
	}
	if c.Prior != nil {
		if len(c.Prior) != k {
			return "", fmt.Errorf("onnx: %d prior weights for %d classes", len(c.Prior), k)
		}
		w := g.doubles("prior", []int64{1, int64(k)}, c.Prior)
		p = g.normalise(g.node("Div", []string{p, w}), k)
	}
	if c.Method == "prior" {
		if c.Prior == nil || len(c.Maps) != 0 {
			return "", fmt.Errorf("onnx: calibration method prior needs prior weights and no maps")
		}
		return p, nil
	}
	var out string
	if c.Method == "temperature" {
		if len(c.Maps) != 0 || !(c.Temperature > 0) || math.IsInf(c.Temperature, 0) {
			return "", fmt.Errorf("onnx: calibration method temperature needs a positive finite temperature and no maps")
		}
		logp := g.node("Log", []string{g.node("Max", []string{p, g.scalar(calibrate.TemperatureFloor)})})
		out = g.node("Softmax", []string{g.node("Div", []string{logp, g.scalar(c.Temperature)})}, intAttr("axis", 1))
	} else if k == 2 {
		if len(c.Maps) != 1 || c.Maps[0].Class < 0 || c.Maps[0].Class > 1 {
			return "", fmt.Errorf("onnx: a binary calibration needs one map of class 0 or 1")
		}
		m := c.Maps[0]
		cal, err := apply(m, g.column(p, m.Class))
		if err != nil {
			return "", err
		}
		rest := g.node("Sub", []string{g.scalar(1), cal})
		parts := []string{cal, rest}
		if m.Class == 1 {
			parts = []string{rest, cal}
		}
		out = g.node("Concat", parts, intAttr("axis", 1))
	} else {
		cols := make([]string, k)
		for _, m := range c.Maps {
			if m.Class < 0 || m.Class >= k || cols[m.Class] != "" {
				return "", fmt.Errorf("onnx: calibration map of class %d repeated or out of range", m.Class)
			}
			cal, err := apply(m, g.column(p, m.Class))
			if err != nil {
				return "", err
			}
			cols[m.Class] = cal
		}
		for j, col := range cols {
			if col == "" {
				return "", fmt.Errorf("onnx: no calibration map for class %d", j)
			}
		}
		cal := g.node("Concat", cols, intAttr("axis", 1))
		sum := g.node("ReduceSum", []string{cal, g.ints("axes", 1)}, intAttr("keepdims", 1))
		zero := g.node("Equal", []string{sum, g.scalar(0)})
		out = g.node("Where", []string{zero, g.scalar(1 / float64(k)), g.node("Div", []string{cal, sum})})
	}
	over := g.node("And", []string{g.node("Greater", []string{out, g.scalar(1)}),
		g.node("LessOrEqual", []string{out, g.scalar(1 + 1e-5)})})
	return g.node("Where", []string{over, g.scalar(1), out}), nil
}

// normalise divides each row of the [N, K] matrix p by its sum; rows whose sum is not
// positive become 1/k each (calibrate.Normalise).
func (g *graph) normalise(p string, k int) string {
	sum := g.node("ReduceSum", []string{p, g.ints("axes", 1)}, intAttr("keepdims", 1))
	pos := g.node("Greater", []string{sum, g.scalar(0)})
	return g.node("Where", []string{pos, g.node("Div", []string{p, sum}), g.scalar(1 / float64(k))})
}

// isotonic interpolates the [N, 1] values p between the points (x, y) as numpy.interp,
// clipped to the end points.
func (g *graph) isotonic(p string, x, y []float64) (string, error) {
	n := len(x)
	if n == 0 || len(y) != n {
		return "", fmt.Errorf("onnx: isotonic calibration with %d x and %d y points", len(x), len(y))
	}
	if n == 1 {
		return g.node("Add", []string{g.node("Mul", []string{p, g.scalar(0)}), g.scalar(y[0])}), nil
	}
	xs := g.doubles("iso_x", []int64{int64(n)}, x)
	ys := g.doubles("iso_y", []int64{int64(n)}, y)
	// j = the number of points below p: x[j-1] < p <= x[j]; kept in 1..n-1.
	below := g.node("Cast", []string{g.node("Less", []string{xs, p})}, intAttr("to", tInt64)) // [N, n]
	j := g.node("ReduceSum", []string{below, g.ints("axes", 1)}, intAttr("keepdims", 1))      // [N, 1]
	one := g.constant("one", int64Tensor(nil, []int64{1}))
	j = g.node("Max", []string{g.node("Min", []string{j, g.constant("last", int64Tensor(nil, []int64{int64(n - 1)}))}), one})
	i := g.node("Sub", []string{j, one})
	at := func(t, idx string) string { return g.node("Gather", []string{t, idx}, intAttr("axis", 0)) }
	x0, x1, y0, y1 := at(xs, i), at(xs, j), at(ys, i), at(ys, j)
	slope := g.node("Div", []string{g.node("Sub", []string{y1, y0}), g.node("Sub", []string{x1, x0})})
	v := g.node("Add", []string{g.node("Mul", []string{slope, g.node("Sub", []string{p, x0})}), y0})
	v = g.node("Where", []string{g.node("Equal", []string{p, x1}), y1, v})
	v = g.node("Where", []string{g.node("LessOrEqual", []string{p, g.scalar(x[0])}), g.scalar(y[0]), v})
	return g.node("Where", []string{g.node("GreaterOrEqual", []string{p, g.scalar(x[n-1])}), g.scalar(y[n-1]), v}), nil
}

// thresholdLabel is the class index chosen by t from the [N, 2] probabilities p, as [N].
func (g *graph) thresholdLabel(p string, t *Threshold) string {
	pos := g.node("Squeeze", []string{g.column(p, t.Positive), g.ints("axes", 1)})
	hit := g.node("GreaterOrEqual", []string{pos, g.scalar(t.Value)})
	return g.node("Where", []string{hit, g.constant("pos", int64Tensor(nil, []int64{int64(t.Positive)})),
		g.constant("neg", int64Tensor(nil, []int64{int64(1 - t.Positive)}))})
}
