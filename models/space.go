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
	// Bins is the histogram bins of the input columns, summed: each
	// column's distinct values, at most 255, plus one when it has missing
	// values (AddColumn). 0 when unknown: 255 a column is assumed.
	Bins int
	// Active is the input columns counted by the share of rows a histogram
	// pass visits: 1 for most columns, 1 − s for a column whose most
	// frequent value holds a share s ≥ 0.6 of the rows (the tree learners
	// skip that bin and derive it from the totals). 0 when unknown: every
	// column counts 1.
	Active float64
}

// SkipShare is the tree learners' rule for sparse columns, kept here so
// that the cost estimates and the learners share it: a column's most
// frequent bin is skipped when it holds at least this share of the rows.
const SkipShare = 0.6

// AddColumn adds one input column to the shape's Bins and Active, from
// its profile: distinct non-missing values, the count of the most
// frequent one, missing and total cells. Features is not changed.
func (s *Shape) AddColumn(distinct, top, missing, count int) {
	s.Bins += min(max(distinct, 1), 255)
	if missing > 0 {
		s.Bins++
	}
	a := 1.0
	if count > 0 && float64(top) >= SkipShare*float64(count) {
		a = 1 - float64(top)/float64(count)
	}
	s.Active += a
}

// MeanBins is the mean histogram bins of an input column, at most limit
// (a learner's max_bins; 0: 255).
func (s Shape) MeanBins(limit int) float64 {
	if limit <= 0 {
		limit = 255
	}
	b := 255.0
	if s.Bins > 0 && s.Features > 0 {
		b = float64(s.Bins) / float64(s.Features)
	}
	return min(b, float64(limit))
}

// ActiveShare is the mean share of a column's rows a histogram pass
// visits (1 when unknown).
func (s Shape) ActiveShare() float64 {
	if s.Active > 0 && s.Features > 0 {
		return min(1, s.Active/float64(s.Features))
	}
	return 1
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
