package models

import (
	"math"
	"math/rand/v2"
)

// Dim is one dimension of a search space: a float range (log-uniform when
// Log), an integer range (Int), or a list of choices.
type Dim struct {
	Name    string   `json:"name"`
	Lo      float64  `json:"lo,omitempty"`
	Hi      float64  `json:"hi,omitempty"`
	Log     bool     `json:"log,omitempty"`
	Int     bool     `json:"int,omitempty"`
	Choices []string `json:"choices,omitempty"`
}

// Values are one point of a space: numbers by name, choices by name.
type Values struct {
	Num    map[string]float64
	Choice map[string]string
}

// Vals returns a point with the given numbers and choices (nil maps are
// made empty).
func Vals(num map[string]float64, choice map[string]string) Values {
	if num == nil {
		num = map[string]float64{}
	}
	if choice == nil {
		choice = map[string]string{}
	}
	return Values{Num: num, Choice: choice}
}

// Int is the number name rounded to the nearest integer.
func (v Values) Int(name string) int { return int(math.Round(v.Num[name])) }

// Clone returns a copy of v that shares no map with it.
func (v Values) Clone() Values {
	c := Values{Num: make(map[string]float64, len(v.Num)), Choice: make(map[string]string, len(v.Choice))}
	for k, x := range v.Num {
		c.Num[k] = x
	}
	for k, x := range v.Choice {
		c.Choice[k] = x
	}
	return c
}

// Sample draws a point uniformly (log-uniformly for Log dims) from dims,
// one draw from r per dimension, in order.
func Sample(r *rand.Rand, dims []Dim) Values {
	v := Values{Num: map[string]float64{}, Choice: map[string]string{}}
	for _, d := range dims {
		switch {
		case len(d.Choices) > 0:
			v.Choice[d.Name] = d.Choices[r.IntN(len(d.Choices))]
		case d.Log:
			x := math.Exp(math.Log(d.Lo) + r.Float64()*(math.Log(d.Hi)-math.Log(d.Lo)))
			if d.Int {
				x = math.Round(x)
			}
			v.Num[d.Name] = x
		case d.Int:
			v.Num[d.Name] = float64(int(d.Lo) + r.IntN(int(d.Hi-d.Lo)+1))
		default:
			v.Num[d.Name] = d.Lo + r.Float64()*(d.Hi-d.Lo)
		}
	}
	return v
}

// Shape is what a search space may depend on: the size and shape of the
// data the search learns from.
type Shape struct {
	Rows     int // training rows (training and validation rows with cross-validation)
	Features int // input columns, before encoding
	Classes  int
}

// Prep is what a family asks of the preprocessing for one point of its
// space; the search fills in the rest (columns, imputation).
type Prep struct {
	Scale    bool   // standardise numeric columns
	Encoding string // categorical encoding: "onehot" or "ordinal"
}

// Space is a family's search space: cheap starting points tried first (few
// trees, few leaves, as FLAML starts), the dimensions sampled after them,
// and how a point becomes params and the preprocessing they want. The
// search adds its own preprocessing dimensions after Dims.
type Space struct {
	// Start holds the starting points, cheapest first.
	Start []Values
	// Portfolio holds strong configurations (the defaults of the libraries
	// users compare with), tried by the adaptive search right after every
	// family's starting points. They may lie outside Dims (an unlimited
	// tree size, say).
	Portfolio []Values
	Dims      []Dim
	Build     func(v Values) (Params, Prep)
}
