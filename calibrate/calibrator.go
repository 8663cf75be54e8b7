package calibrate

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// The calibration methods.
const (
	None     = "none"
	Prior    = "prior"
	Platt    = "platt"
	Isotonic = "isotonic"
	// Temperature rescales a multiclass row's log-probabilities by one
	// number (temperature.go).
	Temperature = "temperature"
)

// Calibrator maps a model's probabilities (rows × classes, row-major) to
// calibrated ones. It is a plain value, kept in a model bundle as JSON.
type Calibrator struct {
	Method  string `json:"method"`
	Classes int    `json:"classes"`
	// ClassWeights undo the prior shift of weighted training first (nil: no
	// weights were used). Every method applies them.
	ClassWeights []float64 `json:"class_weights,omitempty"`
	// Per calibrated class: binary targets calibrate the positive class
	// (index Positive) only; multiclass ones every class against the rest.
	Positive int        `json:"positive"`
	Sigmoids []Sigmoid  `json:"sigmoids,omitempty"`
	Steps    []Monotone `json:"isotonic,omitempty"`
	// Temperature is method Temperature's T (1/T scales each log-probability).
	Temperature float64 `json:"temperature,omitempty"`
}

// KeepsRanking reports whether, for a binary target, the calibrated
// probability of the positive class is an increasing function of the raw
// one: the prior correction, temperature scaling, and Platt's sigmoid with
// its usual (negative) slope. Rank metrics (ROC AUC, PR AUC) of rows
// calibrated by such a calibrator are those of the raw rows. Isotonic
// steps tie rows the raw scores told apart, so they do not keep it.
func (c Calibrator) KeepsRanking() bool {
	if c.Classes != 2 {
		return false
	}
	switch c.Method {
	case None, "", Prior:
		return true
	case Temperature:
		return c.Temperature > 0
	case Platt:
		return len(c.Sigmoids) == 1 && c.Sigmoids[0].A < 0
	}
	return false
}

// Apply returns the calibrated probabilities of p (n × Classes, row-major);
// p is not changed.
func (c Calibrator) Apply(p []float64) []float64 {
	k := c.Classes
	out := make([]float64, len(p))
	copy(out, p)
	if c.Method == None || c.Method == "" {
		return out
	}
	for r := 0; r+k <= len(out); r += k {
		row := out[r : r+k]
		if c.ClassWeights != nil {
			reweight(row, c.ClassWeights)
		}
		switch c.Method {
		case Temperature:
			Temper(row, c.Temperature)
		case Platt, Isotonic:
			if k == 2 {
				q := c.at(0, row[c.Positive])
				row[c.Positive], row[1-c.Positive] = q, 1-q
				continue
			}
			for j := range row {
				row[j] = c.at(j, row[j])
			}
			normalise(row)
		}
	}
	return out
}

func (c Calibrator) at(j int, f float64) float64 {
	if c.Method == Platt {
		return c.Sigmoids[j].At(f)
	}
	return c.Steps[j].At(f)
}

// Reweight divides each class's probability in row by its training weight
// and renormalises: the correction for a prior that weighted training
// shifted.
func Reweight(row, w []float64) { reweight(row, w) }

func reweight(row, w []float64) {
	for j := range row {
		row[j] /= w[j]
	}
	normalise(row)
}

// Normalise scales row to sum to 1 (a row of zeros becomes uniform).
func Normalise(row []float64) { normalise(row) }

// normalise scales row to sum to 1 (a row of zeros becomes uniform, as
// scikit-learn's calibrated classifiers do).
func normalise(row []float64) {
	s := 0.0
	for _, v := range row {
		s += v
	}
	if !(s > 0) {
		for j := range row {
			row[j] = 1 / float64(len(row))
		}
		return
	}
	for j := range row {
		row[j] /= s
	}
}

// Fit fits method on held-out probabilities p (n × classes) with labels y.
// classWeights are the weights training used (nil when none); pos is the
// positive class of a binary target.
func Fit(method string, p []float64, y []int, classes, pos int, classWeights []float64) (Calibrator, error) {
	if classes < 2 || len(p) != len(y)*classes {
		return Calibrator{}, fmt.Errorf("calibrate: %d probabilities for %d rows of %d classes", len(p), len(y), classes)
	}
	c := Calibrator{Method: method, Classes: classes, Positive: pos, ClassWeights: classWeights}
	if method == None {
		c.ClassWeights = nil
		return c, nil
	}
	if method == Prior {
		if classWeights == nil {
			return Calibrator{}, errors.New("calibrate: prior correction needs the training class weights")
		}
		return c, nil
	}
	if method != Platt && method != Isotonic && method != Temperature {
		return Calibrator{}, fmt.Errorf("calibrate: unknown method %q (want none, prior, temperature, platt or isotonic)", method)
	}
	q := p
	if classWeights != nil {
		q = Calibrator{Method: Prior, Classes: classes, ClassWeights: classWeights}.Apply(p)
	}
	if method == Temperature {
		c.Temperature = FitTemperature(q, y, classes)
		return c, nil
	}
	fitOne := func(j int) {
		f := make([]float64, len(y))
		t := make([]bool, len(y))
		for i := range y {
			f[i], t[i] = q[i*classes+j], y[i] == j
		}
		if method == Platt {
			c.Sigmoids = append(c.Sigmoids, FitSigmoid(f, t, nil))
		} else {
			c.Steps = append(c.Steps, FitIsotonic(f, t, nil))
		}
	}
	if classes == 2 {
		fitOne(pos)
	} else {
		for j := range classes {
			fitOne(j)
		}
	}
	return c, nil
}

// Choice is Choose's answer: the calibrator fitted on every held-out row,
// and each method's cross-validated log loss.
type Choice struct {
	Calibrator Calibrator
	LogLoss    map[string]float64
}

// Choose compares no calibration, the prior correction (when classWeights
// are set), temperature scaling (multiclass targets), Platt and isotonic by
// their log loss under folds-fold cross-validation over the held-out rows (a
// seeded, stratified assignment), and fits the best on all of them. Ties
// keep the simpler method (in the order none, prior, temperature, platt,
// isotonic). A binary target has no temperature: Platt's sigmoid already
// fits a scale and a shift of its one free probability.
func Choose(p []float64, y []int, classes, pos int, classWeights []float64, folds int, seed uint64) (Choice, error) {
	if folds < 2 {
		folds = 5
	}
	methods := []string{None}
	if classWeights != nil {
		methods = append(methods, Prior)
	}
	if classes > 2 {
		methods = append(methods, Temperature)
	}
	methods = append(methods, Platt, Isotonic)
	fold := stratifiedFolds(y, classes, folds, seed)
	// Each fold's rows are split out once, for every method, into
	// slices sized up front.
	size := make([]int, folds)
	for _, k := range fold {
		size[k]++
	}
	type split struct {
		trP, teP []float64
		trY, teY []int
	}
	splits := make([]split, folds)
	for k := range splits {
		n := len(y) - size[k]
		splits[k] = split{trP: make([]float64, 0, n*classes), teP: make([]float64, 0, size[k]*classes),
			trY: make([]int, 0, n), teY: make([]int, 0, size[k])}
	}
	for i, yi := range y {
		row := p[i*classes : (i+1)*classes]
		for k := range splits {
			sp := &splits[k]
			if fold[i] == k {
				sp.teP, sp.teY = append(sp.teP, row...), append(sp.teY, yi)
			} else {
				sp.trP, sp.trY = append(sp.trP, row...), append(sp.trY, yi)
			}
		}
	}
	ch := Choice{LogLoss: map[string]float64{}}
	best := ""
	for _, m := range methods {
		var total float64
		for _, sp := range splits {
			if len(sp.teY) == 0 {
				continue
			}
			c, err := Fit(m, sp.trP, sp.trY, classes, pos, classWeights)
			if err != nil {
				return Choice{}, err
			}
			total += logLossSum(c.Apply(sp.teP), sp.teY, classes)
		}
		ch.LogLoss[m] = total / float64(len(y))
		if best == "" || ch.LogLoss[m] < ch.LogLoss[best] {
			best = m
		}
	}
	c, err := Fit(best, p, y, classes, pos, classWeights)
	if err != nil {
		return Choice{}, err
	}
	ch.Calibrator = c
	return ch, nil
}

// stratifiedFolds deals each class's rows, in a seeded shuffled order, to
// the folds in turn.
func stratifiedFolds(y []int, classes, folds int, seed uint64) []int {
	r := rand.New(rand.NewPCG(seed, 0xca11b))
	byClass := make([][]int, classes)
	for i, c := range y {
		byClass[c] = append(byClass[c], i)
	}
	out := make([]int, len(y))
	next := 0
	for _, rows := range byClass {
		r.Shuffle(len(rows), func(a, b int) { rows[a], rows[b] = rows[b], rows[a] })
		for _, i := range rows {
			out[i] = next % folds
			next++
		}
	}
	return out
}

// logLossSum is the summed log loss, probabilities clipped as scikit-learn
// 1.2 clips them (1e-15).
func logLossSum(p []float64, y []int, classes int) float64 {
	const eps = 1e-15
	s := 0.0
	for i, c := range y {
		q := min(max(p[i*classes+c], eps), 1-eps)
		s -= math.Log(q)
	}
	return s
}

// CrossFit returns held-out rows' probabilities calibrated by method without
// any row calibrating itself: the rows are dealt to folds as Choose deals
// them, and each fold is mapped by a calibrator fitted on the others. These
// are the probabilities to score a trial by, since the calibrator fitted on
// every row has seen them.
func CrossFit(method string, p []float64, y []int, classes, pos int, classWeights []float64, folds int, seed uint64) ([]float64, error) {
	if folds < 2 {
		folds = 5
	}
	if method == None {
		return append([]float64(nil), p...), nil
	}
	fold := stratifiedFolds(y, classes, folds, seed)
	out := make([]float64, len(p))
	for k := range folds {
		var trP []float64
		var trY, te []int
		for i, yi := range y {
			if fold[i] == k {
				te = append(te, i)
			} else {
				trP, trY = append(trP, p[i*classes:(i+1)*classes]...), append(trY, yi)
			}
		}
		if len(te) == 0 {
			continue
		}
		c, err := Fit(method, trP, trY, classes, pos, classWeights)
		if err != nil {
			return nil, err
		}
		teP := make([]float64, 0, len(te)*classes)
		for _, i := range te {
			teP = append(teP, p[i*classes:(i+1)*classes]...)
		}
		q := c.Apply(teP)
		for j, i := range te {
			copy(out[i*classes:(i+1)*classes], q[j*classes:(j+1)*classes])
		}
	}
	return out, nil
}
