package calibrate

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/metrics"
)

// weightedView is what a model trained with class weights w reports when
// the truth is p: the posterior under the prior shifted by w.
func weightedView(p, w []float64) []float64 {
	q := make([]float64, len(p))
	s := 0.0
	for j := range p {
		q[j] = p[j] * w[j]
		s += q[j]
	}
	for j := range q {
		q[j] /= s
	}
	return q
}

func TestPriorUndoesClassWeights(t *testing.T) {
	w := []float64{1, 6, 2.5}
	r := rand.New(rand.NewPCG(1, 2))
	var truth, seen []float64
	for range 50 {
		p := []float64{r.Float64(), r.Float64(), r.Float64()}
		normalise(p)
		truth = append(truth, p...)
		seen = append(seen, weightedView(p, w)...)
	}
	c, err := Fit(Prior, seen, make([]int, 50), 3, -1, w)
	if err != nil {
		t.Fatal(err)
	}
	got := c.Apply(seen)
	for i := range truth {
		if math.Abs(got[i]-truth[i]) > 1e-12 {
			t.Fatalf("value %d: %v after the correction, truth %v", i, got[i], truth[i])
		}
	}
}

// imbalanced draws a 5 %-positive target whose true probability is known,
// and what a class-weighted model (weight 19 on positives) would report.
func imbalanced(n int, seed uint64) (y []int, seen []float64) {
	r := rand.New(rand.NewPCG(seed, 7))
	w := []float64{1, 19}
	for range n {
		z := -3.6 + 1.5*r.NormFloat64()
		p1 := 1 / (1 + math.Exp(-z))
		c := 0
		if r.Float64() < p1 {
			c = 1
		}
		y = append(y, c)
		seen = append(seen, weightedView([]float64{1 - p1, p1}, w)...)
	}
	return y, seen
}

func logLoss(p []float64, y []int) float64 {
	return metrics.LogLoss(y, mat.NewDense(len(y), len(p)/len(y), p))
}

func TestChooseLowersLogLossOnWeightedModels(t *testing.T) {
	y, seen := imbalanced(3000, 4)
	ch, err := Choose(seen, y, 2, 1, []float64{1, 19}, 5, 11)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Calibrator.Method == None {
		t.Fatalf("chose no calibration; cross-validated log losses %v", ch.LogLoss)
	}
	// Held-out check on fresh rows from the same source.
	y2, seen2 := imbalanced(3000, 5)
	before, after := logLoss(seen2, y2), logLoss(ch.Calibrator.Apply(seen2), y2)
	if !(after < before*0.6) {
		t.Fatalf("log loss on new rows %.4f after %s calibration, %.4f before: want a large drop", after, ch.Calibrator.Method, before)
	}
	// Ranking is kept: the calibration is monotone in the positive score.
	a := ch.Calibrator.Apply(seen2)
	s0, s1 := make([]float64, len(y2)), make([]float64, len(y2))
	for i := range y2 {
		s0[i], s1[i] = seen2[2*i+1], a[2*i+1]
	}
	if d := math.Abs(metrics.ROCAUC(y2, s0, 1) - metrics.ROCAUC(y2, s1, 1)); d > 0.002 {
		t.Fatalf("calibration moved the AUC by %.4f", d)
	}
	again, _ := Choose(seen, y, 2, 1, []float64{1, 19}, 5, 11)
	if again.Calibrator.Method != ch.Calibrator.Method || !slices.Equal(a, again.Calibrator.Apply(seen2)) {
		t.Fatal("the same inputs and seed chose another calibrator")
	}
}

func TestMulticlassRowsSumToOne(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	var p []float64
	var y []int
	for range 300 {
		row := []float64{r.Float64(), r.Float64(), r.Float64(), r.Float64()}
		normalise(row)
		p = append(p, row...)
		y = append(y, r.IntN(4))
	}
	for _, m := range []string{Platt, Isotonic, Temperature} {
		c, err := Fit(m, p, y, 4, -1, nil)
		if err != nil {
			t.Fatal(err)
		}
		q := c.Apply(p)
		for i := 0; i < len(q); i += 4 {
			if s := q[i] + q[i+1] + q[i+2] + q[i+3]; math.Abs(s-1) > 1e-12 {
				t.Fatalf("%s: row %d sums to %v", m, i/4, s)
			}
		}
	}
}

// TestThresholdIsBestOverAllCuts checks Threshold against every cut between
// distinct scores, each scored by package metrics (itself checked against
// scikit-learn).
func TestThresholdIsBestOverAllCuts(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	n := 400
	score := make([]float64, n)
	pos := make([]bool, n)
	y := make([]int, n)
	for i := range n {
		pos[i] = r.Float64() < 0.15
		z := -1.0
		if pos[i] {
			z = 0.2
			y[i] = 1
		}
		score[i] = math.Round(1000/(1+math.Exp(-(z+r.NormFloat64())))) / 1000 // ties on purpose
	}
	for _, metric := range []string{"f1", "accuracy", "balanced_accuracy", "roc_auc"} {
		thr, val := Threshold(score, pos, metric)
		eval := func(t float64) float64 {
			pred := make([]int, n)
			for i, s := range score {
				if s >= t {
					pred[i] = 1
				}
			}
			switch metric {
			case "accuracy":
				return metrics.Accuracy(y, pred)
			case "balanced_accuracy":
				return metrics.BalancedAccuracy(y, pred, 2)
			}
			_, _, f1 := metrics.PRF(y, pred, 1)
			return f1
		}
		if got := eval(thr); math.Abs(got-val) > 1e-12 {
			t.Fatalf("%s: threshold %v scores %v by package metrics, Threshold said %v", metric, thr, got, val)
		}
		u := slices.Clone(score)
		slices.Sort(u)
		u = slices.Compact(u)
		for k := 0; k+1 < len(u); k++ {
			if v := eval((u[k] + u[k+1]) / 2); v > val+1e-12 {
				t.Fatalf("%s: cut %v scores %v, better than the chosen %v (%v)", metric, (u[k]+u[k+1])/2, v, thr, val)
			}
		}
	}
}

func TestCrossFitNeverSeesItsRow(t *testing.T) {
	y, seen := imbalanced(400, 9)
	q, err := CrossFit(Isotonic, seen, y, 2, 1, []float64{1, 19}, 5, 3)
	if err != nil {
		t.Fatal(err)
	}
	// Move one row's score: the rows of its own fold are mapped by a
	// calibrator fitted without it, so they must not move; rows of the
	// other folds are mapped by calibrators that saw it.
	const r = 17
	moved := slices.Clone(seen)
	moved[2*r], moved[2*r+1] = 0.001, 0.999
	q2, err := CrossFit(Isotonic, moved, y, 2, 1, []float64{1, 19}, 5, 3)
	if err != nil {
		t.Fatal(err)
	}
	fold := stratifiedFolds(y, 2, 5, 3)
	others := 0
	for i := range y {
		switch {
		case i == r:
		case fold[i] == fold[r] && q[2*i+1] != q2[2*i+1]:
			t.Fatalf("row %d, in row %d's fold, moved with row %d's score: %v -> %v", i, r, r, q[2*i+1], q2[2*i+1])
		case fold[i] != fold[r] && q[2*i+1] != q2[2*i+1]:
			others++
		}
	}
	if others == 0 {
		t.Fatal("moving a row's score moved no row of the other folds: the calibrators ignore their data")
	}
}

// BenchmarkChoose calibrates one binary trial's held-out predictions on
// 50,000 rows (a sampled search's validation rows): five folds of each
// method, then the chosen one on all rows.
func BenchmarkChoose(b *testing.B) {
	r := rand.New(rand.NewPCG(21, 22))
	const n = 50000
	p, y := make([]float64, 2*n), make([]int, n)
	for i := range n {
		s := r.NormFloat64()
		if s+0.8*r.NormFloat64() > 0.7 {
			y[i] = 1
		}
		q := 1 / (1 + math.Exp(-2*s))
		p[2*i], p[2*i+1] = 1-q, q
	}
	for b.Loop() {
		if _, err := Choose(p, y, 2, 1, nil, 5, 3); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChooseMulticlass calibrates a 3-class trial's held-out
// predictions on 50,000 rows (every method, temperature included, five
// folds each, then the chosen one on all rows); BenchmarkFitTemperature is
// the temperature's own share: one fit on all the rows.
func BenchmarkChooseMulticlass(b *testing.B) {
	p, y := overconfident(rand.New(rand.NewPCG(23, 24)), 50000, 2)
	for b.Loop() {
		if _, err := Choose(p, y, 3, -1, nil, 5, 3); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFitTemperature(b *testing.B) {
	p, y := overconfident(rand.New(rand.NewPCG(23, 24)), 50000, 2)
	for b.Loop() {
		FitTemperature(p, y, 3)
	}
}

// overconfident draws rows of a 3-class model whose log-probabilities are
// the truth's times sharp (a model too sure of itself when sharp > 1), with
// labels drawn from the truth.
func overconfident(r *rand.Rand, n int, sharp float64) ([]float64, []int) {
	var p []float64
	var y []int
	for range n {
		truth := []float64{r.NormFloat64(), r.NormFloat64(), r.NormFloat64()}
		for j := range truth {
			truth[j] = math.Exp(truth[j])
		}
		normalise(truth)
		u, c := r.Float64(), 0
		for c < 2 && u > truth[c] {
			u -= truth[c]
			c++
		}
		row := append([]float64(nil), truth...)
		Temper(row, 1/sharp)
		p, y = append(p, row...), append(y, c)
	}
	return p, y
}

// A model three times too sharp is recovered by temperature scaling: Choose
// prefers it to the one-against-the-rest maps and fits T near 3; a binary
// target is never offered it.
func TestChooseTemperatureForOverconfidentMulticlass(t *testing.T) {
	p, y := overconfident(rand.New(rand.NewPCG(3, 3)), 3000, 3)
	ch, err := Choose(p, y, 3, -1, nil, 5, 7)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Calibrator.Method != Temperature {
		t.Fatalf("chose %s, cross-validated log losses %v", ch.Calibrator.Method, ch.LogLoss)
	}
	if T := ch.Calibrator.Temperature; math.Abs(T-3) > 0.3 {
		t.Fatalf("T = %v, want about 3", T)
	}
	if !(ch.LogLoss[Temperature] < ch.LogLoss[None]) {
		t.Fatalf("log losses %v", ch.LogLoss)
	}
	bp := make([]float64, 0, 400)
	var by []int
	r := rand.New(rand.NewPCG(4, 4))
	for range 200 {
		q := r.Float64()
		bp, by = append(bp, 1-q, q), append(by, r.IntN(2))
	}
	bc, err := Choose(bp, by, 2, 1, nil, 5, 7)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := bc.LogLoss[Temperature]; ok {
		t.Fatalf("binary target offered temperature scaling: %v", bc.LogLoss)
	}
}

// Rows the model always ranks right push T to its lower bound (the
// sharpest map allowed), not to zero; rows of one constant shape leave
// the loss flat and T finite.
func TestTemperatureBounds(t *testing.T) {
	p := []float64{0.6, 0.3, 0.1, 0.2, 0.7, 0.1, 0.1, 0.2, 0.7}
	if T := FitTemperature(p, []int{0, 1, 2}, 3); T != 1/maxInvT {
		t.Fatalf("separable rows: T = %v, want %v", T, 1/maxInvT)
	}
	u := []float64{1.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3}
	if T := FitTemperature(u, []int{0, 2}, 3); math.IsNaN(T) || math.IsInf(T, 0) || T <= 0 {
		t.Fatalf("uniform rows: T = %v", T)
	}
	row := []float64{0, 0, 1}
	Temper(row, 2)
	if s := row[0] + row[1] + row[2]; math.Abs(s-1) > 1e-15 || !(row[0] > 0) {
		t.Fatalf("a zero probability tempered to %v (sum %v)", row, s)
	}
}

// TestKeepsRanking: a binary calibrator that says it keeps the ranking
// (prior correction, Platt, temperature) gives the same ROC and PR AUC as
// the raw probabilities on rows it was not fitted on, and never reverses
// two rows; isotonic steps tie rows and do not claim it.
func TestKeepsRanking(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const n = 600
	y := make([]int, n)
	p := make([]float64, 0, 2*n)
	for i := range y {
		y[i] = r.IntN(2)
		z := 1.2*float64(2*y[i]-1) + r.NormFloat64()
		q := 1 / (1 + math.Exp(-z))
		p = append(p, 1-q, q)
	}
	w := []float64{1, 3}
	for _, c := range []struct {
		method  string
		weights []float64
		keeps   bool
	}{
		{Prior, w, true}, {Platt, nil, true}, {Platt, w, true}, {Temperature, nil, true}, {Isotonic, nil, false},
	} {
		cal, err := Fit(c.method, p[:n], y[:n/2], 2, 1, c.weights)
		if err != nil {
			t.Fatalf("%s: %v", c.method, err)
		}
		if cal.KeepsRanking() != c.keeps {
			t.Errorf("%s: KeepsRanking %v, want %v", c.method, !c.keeps, c.keeps)
			continue
		}
		if !c.keeps {
			continue
		}
		test := p[n:]
		q := cal.Apply(test)
		raw := metrics.Evaluate(y[n/2:], mat.NewDense(n/2, 2, test), 1)
		got := metrics.Evaluate(y[n/2:], mat.NewDense(n/2, 2, q), 1)
		for _, m := range []string{"roc_auc", "pr_auc"} {
			if math.Abs(raw[m]-got[m]) > 1e-12 {
				t.Errorf("%s: %s %v calibrated, %v raw", c.method, m, got[m], raw[m])
			}
		}
		order := make([]int, n/2)
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return cmp.Compare(test[2*a+1], test[2*b+1]) })
		for i := 1; i < len(order); i++ {
			if q[2*order[i]+1] < q[2*order[i-1]+1] {
				t.Fatalf("%s: calibrated probabilities reverse two rows", c.method)
			}
		}
	}
	if (Calibrator{Method: Platt, Classes: 2, Sigmoids: []Sigmoid{{A: 2, B: 0}}}).KeepsRanking() {
		t.Error("a sigmoid with a positive slope reverses the ranking but claims to keep it")
	}
	if (Calibrator{Method: Temperature, Classes: 3, Temperature: 2}).KeepsRanking() {
		t.Error("a multiclass calibrator claims to keep the binary ranking")
	}
}
