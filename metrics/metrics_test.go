package metrics

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// mannWhitney is ROC AUC by its definition: the fraction of
// (positive, negative) pairs ranked correctly, ties counting one half.
func mannWhitney(y []int, score []float64, pos int) float64 {
	var good float64
	var pairs int
	for i := range y {
		if y[i] != pos {
			continue
		}
		for j := range y {
			if y[j] == pos {
				continue
			}
			pairs++
			switch {
			case score[i] > score[j]:
				good++
			case score[i] == score[j]:
				good += 0.5
			}
		}
	}
	return good / float64(pairs)
}

func TestROCAUCMatchesPairCounting(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		n := 2 + r.IntN(60)
		levels := 1 + r.IntN(12) // few levels: many ties
		y := make([]int, n)
		score := make([]float64, n)
		for i := range n {
			y[i] = r.IntN(3) // pos=2 against both other labels
			score[i] = float64(r.IntN(levels)) / float64(levels)
		}
		y[0], y[1] = 2, 0
		want := mannWhitney(y, score, 2)
		got := ROCAUC(y, score, 2)
		if math.Abs(got-want) > 1e-12 {
			t.Fatalf("trial %d: ROCAUC = %v, pair counting %v (y=%v score=%v)", trial, got, want, y, score)
		}
		neg := make([]float64, n)
		for i, s := range score {
			neg[i] = -s
		}
		if s := got + ROCAUC(y, neg, 2); math.Abs(s-1) > 1e-12 {
			t.Fatalf("trial %d: AUC(s) + AUC(-s) = %v, want 1", trial, s)
		}
	}
}

func TestOneClassPresent(t *testing.T) {
	y := []int{1, 1, 1}
	score := []float64{0.2, 0.9, 0.9}
	if v := ROCAUC(y, score, 1); !math.IsNaN(v) {
		t.Errorf("ROCAUC with only positives = %v, want NaN", v)
	}
	if v := ROCAUC(y, score, 0); !math.IsNaN(v) {
		t.Errorf("ROCAUC with only negatives = %v, want NaN", v)
	}
	// sklearn: fpr is NaN throughout when there are no negatives.
	fpr, tpr, thr := ROCCurve(y, score, 1)
	if len(fpr) != 3 || !math.IsNaN(fpr[1]) || tpr[1] != 2.0/3 || tpr[2] != 1 || thr[0] != 1.9 {
		t.Errorf("ROCCurve with only positives = %v %v %v", fpr, tpr, thr)
	}
	// sklearn 1.2.1: AP is 1 with only positives and 0 with none.
	if v := AveragePrecision(y, score, 1); v != 1 {
		t.Errorf("AveragePrecision with only positives = %v, want 1", v)
	}
	if v := AveragePrecision(y, score, 0); v != 0 {
		t.Errorf("AveragePrecision with no positives = %v, want 0", v)
	}
	_, rec, _ := PRCurve(y, score, 0)
	if rec[0] != 1 || rec[1] != 1 || rec[2] != 0 {
		t.Errorf("PRCurve recall with no positives = %v, want [1 1 0]", rec)
	}

	P := mat.NewDense(3, 2, []float64{0.8, 0.2, 0.1, 0.9, 0.1, 0.9})
	ev := Evaluate(y, P, 1)
	if _, ok := ev["roc_auc"]; ok {
		t.Errorf("Evaluate kept an undefined roc_auc: %v", ev)
	}
	if len(ev) != len(Names)-1 || ev["accuracy"] != 2.0/3 {
		t.Errorf("Evaluate = %v, want every metric but roc_auc", ev)
	}
	if _, err := json.Marshal(ev); err != nil {
		t.Errorf("Evaluate output does not marshal: %v", err)
	}

	P3 := mat.NewDense(3, 3, []float64{0.2, 0.7, 0.1, 0.3, 0.3, 0.4, 0.1, 0.8, 0.1})
	if v := MacroROCAUC(y, P3); !math.IsNaN(v) {
		t.Errorf("MacroROCAUC with one class = %v, want NaN", v)
	}
	ev = Evaluate(y, P3, -1)
	if _, ok := ev["roc_auc"]; ok {
		t.Errorf("multiclass Evaluate kept roc_auc: %v", ev)
	}
	if _, ok := ev["pr_auc"]; ok {
		t.Errorf("multiclass Evaluate kept pr_auc: %v", ev)
	}
}

func TestNaNAndEmpty(t *testing.T) {
	y := []int{0, 1, 0, 1}
	score := []float64{0.1, math.NaN(), 0.3, 0.8}
	if v := ROCAUC(y, score, 1); !math.IsNaN(v) {
		t.Errorf("ROCAUC with a NaN score = %v, want NaN", v)
	}
	if v := AveragePrecision(y, score, 1); !math.IsNaN(v) {
		t.Errorf("AveragePrecision with a NaN score = %v, want NaN", v)
	}
	if f, _, _ := ROCCurve(y, score, 1); f != nil {
		t.Errorf("ROCCurve with a NaN score = %v, want nil", f)
	}
	if p, _, _ := PRCurve(nil, nil, 1); p != nil {
		t.Errorf("PRCurve of nothing = %v, want nil", p)
	}
	if v := ROCAUC(nil, nil, 1); !math.IsNaN(v) {
		t.Errorf("ROCAUC of nothing = %v, want NaN", v)
	}
	if v := Accuracy(nil, nil); !math.IsNaN(v) {
		t.Errorf("Accuracy of nothing = %v, want NaN", v)
	}
	P := mat.NewDense(4, 2, []float64{0.9, 0.1, math.NaN(), math.NaN(), 0.7, 0.3, 0.2, 0.8})
	ev := Evaluate(y, P, 1)
	for _, name := range []string{"roc_auc", "pr_auc", "log_loss"} {
		if _, ok := ev[name]; ok {
			t.Errorf("Evaluate kept %s despite a NaN probability: %v", name, ev)
		}
	}
	if ev["accuracy"] != 0.75 { // the NaN row predicts class 0, wrongly
		t.Errorf("Evaluate accuracy = %v, want 0.75", ev["accuracy"])
	}
}

func TestArgmax(t *testing.T) {
	P := mat.NewDense(4, 3, []float64{
		0.2, 0.4, 0.4, // tie: lowest index
		0.5, 0.5, 0,
		math.NaN(), 0.1, 0.3, // NaN ignored
		0.1, 0.1, 0.8,
	})
	want := []int{1, 0, 2, 2}
	got := Argmax(P)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Argmax = %v, want %v", got, want)
		}
	}
}

func TestClassificationByHand(t *testing.T) {
	y := []int{0, 0, 0, 1, 1, 2, 2, 2, 2}
	pred := []int{0, 1, 0, 1, 0, 2, 2, 1, 1}
	conf := Confusion(y, pred, 4)
	wantConf := [][]int{{2, 1, 0, 0}, {1, 1, 0, 0}, {0, 2, 2, 0}, {0, 0, 0, 0}}
	for i := range wantConf {
		for j := range wantConf[i] {
			if conf[i][j] != wantConf[i][j] {
				t.Fatalf("Confusion = %v, want %v", conf, wantConf)
			}
		}
	}
	// Recalls 2/3, 1/2, 2/4; class 3 occurs nowhere and is left out.
	if got, want := BalancedAccuracy(y, pred, 4), (2.0/3+0.5+0.5)/3; math.Abs(got-want) > 1e-15 {
		t.Errorf("BalancedAccuracy = %v, want %v", got, want)
	}
	// Precisions 2/3, 1/4, 1; recalls 2/3, 1/2, 1/2.
	p, r, _ := MacroPRF(y, pred, 4)
	if math.Abs(p-(2.0/3+0.25+1)/3) > 1e-15 || math.Abs(r-(2.0/3+0.5+0.5)/3) > 1e-15 {
		t.Errorf("MacroPRF = %v, %v", p, r)
	}
	// Class 1 as positive: tp 1, predicted 4, actual 2.
	p, r, f := PRF(y, pred, 1)
	if p != 0.25 || r != 0.5 || math.Abs(f-1.0/3) > 1e-15 {
		t.Errorf("PRF = %v %v %v, want 0.25 0.5 1/3", p, r, f)
	}
	// zero_division=0: never predicted, never present.
	if p, r, f := PRF(y, pred, 3); p != 0 || r != 0 || f != 0 {
		t.Errorf("PRF of an absent class = %v %v %v, want zeros", p, r, f)
	}
}

func TestCalibrationEdges(t *testing.T) {
	// With ten bins 0.3 sits on the inner edge 3*0.1 = 0.30000000000000004
	// (np.linspace's value) and, as in sklearn, belongs to the lower bin
	// [0.2, 0.3] with 0.25; 1.2 goes to the last bin and NaN is skipped.
	y := []int{1, 0, 1, 1, 0}
	score := []float64{0.3, 0.25, 1.2, math.NaN(), 0.95}
	meanPred, frac, counts := Calibration(y, score, 1, 10)
	if len(counts) != 2 || counts[0] != 2 || counts[1] != 2 {
		t.Fatalf("Calibration counts = %v, want [2 2]", counts)
	}
	if meanPred[0] != (0.3+0.25)/2 || frac[0] != 0.5 || meanPred[1] != (1.2+0.95)/2 || frac[1] != 0.5 {
		t.Errorf("Calibration = %v %v", meanPred, frac)
	}
}

func TestLogLossClipping(t *testing.T) {
	P := mat.NewDense(2, 2, []float64{1, 0, 0.5, 0.5})
	got := LogLoss([]int{1, 0}, P)
	// Row 0: clipped to [1-1e-15, 1e-15], renormalised; row 1: log 2.
	p := 1e-15 / (1e-15 + (1 - 1e-15))
	want := (-math.Log(p) + math.Log(2)) / 2
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("LogLoss = %v, want %v", got, want)
	}
	if LogLossEps([]int{1, 0}, P, 0x1p-52) <= got {
		t.Errorf("a smaller eps must give a larger loss on a hard mistake")
	}
}

func TestHigherIsBetter(t *testing.T) {
	for _, name := range Names {
		if HigherIsBetter(name) == (name == "log_loss" || name == "brier") {
			t.Errorf("HigherIsBetter(%q) = %v", name, HigherIsBetter(name))
		}
	}
}

func TestProgrammerErrorsPanic(t *testing.T) {
	cases := map[string]func(){
		"length":        func() { ROCAUC([]int{0, 1}, []float64{0.1}, 1) },
		"label":         func() { Confusion([]int{0, 3}, []int{0, 1}, 3) },
		"rows":          func() { LogLoss([]int{0}, mat.NewDense(2, 2, nil)) },
		"logloss label": func() { LogLoss([]int{0, 2}, mat.NewDense(2, 2, nil)) },
		"bins":          func() { Calibration([]int{0}, []float64{0.5}, 1, 0) },
		"binary pos":    func() { Evaluate([]int{0, 1}, mat.NewDense(2, 2, []float64{1, 0, 0, 1}), 2) },
		"macro label":   func() { MacroROCAUC([]int{0, 5}, mat.NewDense(2, 2, nil)) },
		"pred length":   func() { Accuracy([]int{0, 1}, []int{0}) },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil {
					t.Fatal("no panic")
				}
				if msg, _ := r.(string); !strings.HasPrefix(msg, "metrics: ") {
					t.Errorf("panic %v does not say where it comes from", r)
				}
			}()
			f()
		})
	}
}

func TestSumIsNumpyPairwise(t *testing.T) {
	// Harmonic sums from numpy 1.24, repr(np.sum(1 / np.arange(1, n+1))); a
	// left-to-right loop gives a different last digit for n >= 300.
	for n, want := range map[int]float64{
		100:  5.187377517639621,
		300:  6.282663880299504,
		1000: 7.485470860550345,
		5000: 9.094508852984436,
	} {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = 1 / float64(i+1)
		}
		if got := sum(xs); got != want {
			t.Errorf("sum of 1/k for k <= %d = %.17g, numpy %.17g", n, got, want)
		}
	}
}

// TestValueIsEvaluates: Value gives, metric by metric, Evaluate's value to
// the bit, and NaN where Evaluate leaves the metric out (one class in y, a
// NaN in P), on binary data with either positive class and on 4 classes.
func TestValueIsEvaluates(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	random := func(n, k int) ([]int, *mat.Dense) {
		y := make([]int, n)
		p := make([]float64, n*k)
		for i := range n {
			y[i] = r.IntN(k)
			s := 0.0
			for j := range k {
				// coarse values, so that scores tie
				p[i*k+j] = float64(1 + r.IntN(8))
				if j == y[i] {
					p[i*k+j] += float64(r.IntN(6))
				}
				s += p[i*k+j]
			}
			for j := range k {
				p[i*k+j] /= s
			}
		}
		return y, mat.NewDense(n, k, p)
	}
	type tc struct {
		name string
		y    []int
		P    *mat.Dense
		pos  int
	}
	var cases []tc
	for _, k := range []int{2, 4} {
		y, P := random(300, k)
		cases = append(cases, tc{"random", y, P, 0}, tc{"random, positive 1", y, P, 1})
		one := make([]int, len(y))
		cases = append(cases, tc{"one class", one, P, 1})
		nan := mat.DenseCopyOf(P)
		nan.Set(7, 0, math.NaN())
		cases = append(cases, tc{"NaN", y, nan, 1})
	}
	for _, c := range cases {
		_, k := c.P.Dims()
		want := Evaluate(c.y, c.P, c.pos)
		for _, name := range Names {
			got, ok := Value(name, c.y, c.P, c.pos)
			if !ok {
				t.Fatalf("%s, %d classes: Value does not know %s", c.name, k, name)
			}
			w, has := want[name]
			if !has {
				w = math.NaN()
			}
			if math.Float64bits(got) != math.Float64bits(w) && !(math.IsNaN(got) && math.IsNaN(w)) {
				t.Errorf("%s, %d classes: %s = %v, Evaluate gives %v", c.name, k, name, got, w)
			}
		}
	}
	if _, ok := Value("r2", cases[0].y, cases[0].P, 0); ok {
		t.Error("Value knows a metric that is not in Names")
	}
}
