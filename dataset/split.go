package dataset

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Splits. Rows are frame row indices (a subset of Target.Rows).
//
// Zero TrainFrac and ValFrac take their defaults (0.6 and 0.2); the test set
// is whatever remains and may be empty when TrainFrac+ValFrac == 1.
type SplitSpec struct {
	Seed      uint64  `json:"seed"`
	TrainFrac float64 `json:"train_frac"`          // default 0.6
	ValFrac   float64 `json:"val_frac"`            // default 0.2 (test = rest)
	CV        int     `json:"cv,omitempty"`        // >1: stratified K folds over train+val (non-test) rows
	SplitCol  string  `json:"split_col,omitempty"` // values train / validate / test (case-insensitive; also "val")
	TimeCol   string  `json:"time_col,omitempty"`  // chronological: earliest TrainFrac train, then val, then test
}

// Split holds the row sets of one split; every set is sorted ascending.
type Split struct {
	Train []int   `json:"-"`
	Val   []int   `json:"-"`
	Test  []int   `json:"-"`
	Folds [][]int `json:"-"` // with CV: the K validation folds, partitioning Train∪Val; nil otherwise
}

// Streams of the split's generator (the PCG's second word), so the random
// split and the folds draw independent sequences from one seed.
const (
	streamSplit uint64 = 0x73706c6974 // "split"
	streamFolds uint64 = 0x666f6c6473 // "folds"
)

// MakeSplit is deterministic given the spec; stratified on y (classes) for the random split.
// rows[i] has class y[i].
//
// With SplitCol the column's values decide (train; validate, validation, val
// or valid; test) and TrainFrac/ValFrac are ignored. With TimeCol (numeric or
// datetime) rows are ordered by time (ties by row) and cut at TrainFrac and
// TrainFrac+ValFrac (an ID column of integers, such as a time step, also
// serves); CV folds are then consecutive blocks of that order rather
// than stratified random folds, so no fold trains on its own future.
func MakeSplit(f *Frame, rows []int, y []int, spec SplitSpec) (*Split, error) {
	if len(rows) != len(y) {
		return nil, fmt.Errorf("split: %d rows but %d class labels", len(rows), len(y))
	}
	for i, r := range rows {
		if r < 0 || r >= f.NumRows() {
			return nil, fmt.Errorf("split: row %d outside the frame's %d rows", r, f.NumRows())
		}
		if y[i] < 0 {
			return nil, fmt.Errorf("split: negative class index %d for row %d", y[i], r)
		}
	}
	if spec.TrainFrac == 0 {
		spec.TrainFrac = 0.6
	}
	if spec.ValFrac == 0 {
		spec.ValFrac = 0.2
	}
	switch {
	case !(spec.TrainFrac > 0 && spec.TrainFrac <= 1):
		return nil, fmt.Errorf("split: train fraction %v: expected a value in (0, 1]", spec.TrainFrac)
	case !(spec.ValFrac >= 0 && spec.ValFrac < 1):
		return nil, fmt.Errorf("split: validation fraction %v: expected a value in [0, 1)", spec.ValFrac)
	case spec.TrainFrac+spec.ValFrac > 1+1e-9:
		return nil, fmt.Errorf("split: train %v + validation %v fractions exceed 1", spec.TrainFrac, spec.ValFrac)
	case spec.CV < 0:
		return nil, fmt.Errorf("split: cv %d: expected 0 (no folds) or a fold count >= 2", spec.CV)
	case spec.SplitCol != "" && spec.TimeCol != "":
		return nil, fmt.Errorf("split: both a split column (%q) and a time column (%q) given: expected at most one", spec.SplitCol, spec.TimeCol)
	}

	var sp *Split
	var err error
	switch {
	case spec.SplitCol != "":
		sp, err = columnSplit(f, rows, spec.SplitCol)
	case spec.TimeCol != "":
		sp, err = timeSplit(f, rows, spec)
	default:
		sp = randomSplit(rows, y, spec)
	}
	if err != nil {
		return nil, err
	}
	if len(sp.Train) == 0 {
		return nil, fmt.Errorf("split of %s: no training rows among %d rows: expected a larger data set or train fraction", f.Path, len(rows))
	}
	if spec.CV > 1 {
		pool := append(slices.Clone(sp.Train), sp.Val...)
		if spec.CV > len(pool) {
			return nil, fmt.Errorf("split of %s: %d folds requested but only %d training and validation rows", f.Path, spec.CV, len(pool))
		}
		if spec.TimeCol != "" {
			order := byTime(f.Column(spec.TimeCol), pool)
			sp.Folds = blocks(order, spec.CV)
		} else {
			class := make(map[int]int, len(rows))
			for i, r := range rows {
				class[r] = y[i]
			}
			slices.Sort(pool)
			py := make([]int, len(pool))
			for i, r := range pool {
				py[i] = class[r]
			}
			sp.Folds = stratifiedFolds(pool, py, spec.CV, spec.Seed)
		}
	}
	return sp, nil
}

// byClass groups rows by class, classes in ascending order, rows in input order.
func byClass(rows, y []int) [][]int {
	m := map[int][]int{}
	for i, r := range rows {
		m[y[i]] = append(m[y[i]], r)
	}
	groups := make([][]int, 0, len(m))
	for _, c := range slices.Sorted(maps.Keys(m)) {
		groups = append(groups, m[c])
	}
	return groups
}

// randomSplit shuffles each class and cuts it at the fractions, so every
// set keeps the class proportions (up to rounding).
func randomSplit(rows, y []int, spec SplitSpec) *Split {
	rng := rand.New(rand.NewPCG(spec.Seed, streamSplit))
	sp := &Split{}
	for _, g := range byClass(rows, y) {
		g = slices.Clone(g)
		slices.Sort(g)
		rng.Shuffle(len(g), func(i, j int) { g[i], g[j] = g[j], g[i] })
		n := len(g)
		nTr := int(math.Round(float64(n) * spec.TrainFrac))
		if nTr == 0 && n > 0 {
			nTr = 1
		}
		nVa := min(int(math.Round(float64(n)*spec.ValFrac)), n-nTr)
		sp.Train = append(sp.Train, g[:nTr]...)
		sp.Val = append(sp.Val, g[nTr:nTr+nVa]...)
		sp.Test = append(sp.Test, g[nTr+nVa:]...)
	}
	slices.Sort(sp.Train)
	slices.Sort(sp.Val)
	slices.Sort(sp.Test)
	return sp
}

// stratifiedFolds deals each class's shuffled rows round-robin into k
// folds, continuing the count across classes so fold sizes differ by at
// most one. pool must be sorted; py holds the class of each pool row.
func stratifiedFolds(pool, py []int, k int, seed uint64) [][]int {
	rng := rand.New(rand.NewPCG(seed, streamFolds))
	folds := make([][]int, k)
	next := 0
	for _, g := range byClass(pool, py) {
		rng.Shuffle(len(g), func(i, j int) { g[i], g[j] = g[j], g[i] })
		for _, r := range g {
			folds[next%k] = append(folds[next%k], r)
			next++
		}
	}
	for _, fo := range folds {
		slices.Sort(fo)
	}
	return folds
}

// blocks cuts order into k consecutive blocks of near-equal size.
func blocks(order []int, k int) [][]int {
	out := make([][]int, k)
	n := len(order)
	for b := range k {
		out[b] = slices.Clone(order[b*n/k : (b+1)*n/k])
		slices.Sort(out[b])
	}
	return out
}

// columnSplit assigns rows from the values of a split column.
func columnSplit(f *Frame, rows []int, name string) (*Split, error) {
	j := f.Index(name)
	if j < 0 {
		return nil, &ParseError{File: f.Path, Msg: fmt.Sprintf("split column %q not found: expected one of %s", name, f.names())}
	}
	c := f.Columns[j]
	sp := &Split{}
	for _, r := range rows {
		switch strings.ToLower(c.String(r)) {
		case "train", "training":
			sp.Train = append(sp.Train, r)
		case "validate", "validation", "val", "valid":
			sp.Val = append(sp.Val, r)
		case "test", "testing":
			sp.Test = append(sp.Test, r)
		default:
			return nil, &ParseError{File: f.Path, Line: f.Line(r), Column: name, Field: j + 1,
				Msg: fmt.Sprintf("split value %q: expected train, validate (or val) or test", c.String(r))}
		}
	}
	slices.Sort(sp.Train)
	slices.Sort(sp.Val)
	slices.Sort(sp.Test)
	return sp, nil
}

// timeSplit cuts the rows, ordered by a time column, at the fractions.
func timeSplit(f *Frame, rows []int, spec SplitSpec) (*Split, error) {
	j := f.Index(spec.TimeCol)
	if j < 0 {
		return nil, &ParseError{File: f.Path, Msg: fmt.Sprintf("time column %q not found: expected one of %s", spec.TimeCol, f.names())}
	}
	c := f.Columns[j]
	if c.Num == nil || (c.Kind != Numeric && c.Kind != Datetime && c.Kind != ID) {
		return nil, &ParseError{File: f.Path, Column: c.Name, Field: j + 1,
			Msg: fmt.Sprintf("time column is %s: expected a datetime or numeric column", c.Kind)}
	}
	for _, r := range rows {
		if math.IsNaN(c.Num[r]) {
			return nil, &ParseError{File: f.Path, Line: f.Line(r), Column: c.Name, Field: j + 1,
				Msg: "missing time: expected every row to have a time to order it chronologically"}
		}
	}
	order := byTime(c, rows)
	n := len(order)
	nTr := int(math.Round(float64(n) * spec.TrainFrac))
	nVa := min(int(math.Round(float64(n)*spec.ValFrac)), n-nTr)
	sp := &Split{
		Train: slices.Clone(order[:nTr]),
		Val:   slices.Clone(order[nTr : nTr+nVa]),
		Test:  slices.Clone(order[nTr+nVa:]),
	}
	slices.Sort(sp.Train)
	slices.Sort(sp.Val)
	slices.Sort(sp.Test)
	return sp, nil
}

// byTime returns rows ordered by the column's value, ties by row.
func byTime(c *Column, rows []int) []int {
	order := slices.Clone(rows)
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(c.Num[a], c.Num[b]), cmp.Compare(a, b))
	})
	return order
}
