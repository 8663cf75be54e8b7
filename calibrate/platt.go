package calibrate

import "math"

// Sigmoid is Platt's map p ↦ 1 / (1 + exp(A·p + B)).
type Sigmoid struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

// At is the calibrated probability of score f.
func (s Sigmoid) At(f float64) float64 { return expit(-(s.A*f + s.B)) }

// FitSigmoid fits Platt's sigmoid to scores f with binary labels y (true =
// positive) and optional weights w, minimising the log loss against Platt's
// smoothed targets (positives (N₊+1)/(N₊+2), negatives 1/(N₋+2)), starting
// where scikit-learn starts (A = 0, B = log((N₋+1)/(N₊+1))). The objective is
// convex in (A, B); Newton steps with a backtracking line search reach its
// minimum to machine precision.
func FitSigmoid(f []float64, y []bool, w []float64) Sigmoid {
	var prior0, prior1 float64
	for i, pos := range y {
		wi := weight(w, i)
		if pos {
			prior1 += wi
		} else {
			prior0 += wi
		}
	}
	hi, lo := (prior1+1)/(prior1+2), 1/(prior0+2)
	target := func(i int) float64 {
		if y[i] {
			return hi
		}
		return lo
	}
	// eval returns the loss at (a, b) and its gradient and Hessian in
	// (a, b), in one pass and one exponential and one logarithm a row:
	// the loss is -[t log p + (1-t) log(1-p)] with p = expit(-z),
	// z = a f + b, that is t softplus(z) + (1-t) softplus(-z), and
	// softplus(-z) = softplus(z) - z.
	type point struct{ loss, ga, gb, haa, hab, hbb float64 }
	eval := func(a, b float64) point {
		var pt point
		for i, fi := range f {
			z := a*fi + b
			e := math.Exp(-math.Abs(z))
			sp, p := math.Log1p(e), 1/(1+e) // softplus(z) and expit(-z) for z <= 0
			if z > 0 {
				sp, p = sp+z, e/(1+e)
			}
			wi, ti := weight(w, i), target(i)
			pt.loss += wi * (sp - (1-ti)*z)
			d := wi * (ti - p) // ∂loss/∂z
			pt.ga += d * fi
			pt.gb += d
			h := wi * p * (1 - p)
			pt.haa += h * fi * fi
			pt.hab += h * fi
			pt.hbb += h
		}
		return pt
	}
	a, b := 0.0, math.Log((prior0+1)/(prior1+1))
	cur := eval(a, b)
	for range 100 {
		det := cur.haa*cur.hbb - cur.hab*cur.hab
		if !(det > 0) || math.Abs(cur.ga)+math.Abs(cur.gb) < 1e-13 {
			break
		}
		da, db := (cur.hbb*cur.ga-cur.hab*cur.gb)/det, (cur.haa*cur.gb-cur.hab*cur.ga)/det
		dec := cur.ga*da + cur.gb*db // the Newton decrement, squared
		if dec/2 <= 1e-10*cur.loss {
			// So close that the quadratic model is exact to rounding: the
			// full Newton step squares the error, and a line search would
			// only compare losses equal but for rounding (it used to halve
			// the step 60 times here, each a pass over the rows).
			a, b = a-da, b-db
			break
		}
		step, moved := 1.0, false
		for range 60 {
			if next := eval(a-step*da, b-step*db); next.loss <= cur.loss {
				a, b, cur, moved = a-step*da, b-step*db, next, true
				break
			}
			step /= 2
		}
		if !moved || math.Abs(step*da)+math.Abs(step*db) < 1e-15 {
			break
		}
	}
	return Sigmoid{A: a, B: b}
}

func expit(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// softplus is log(1 + exp(x)) without overflow.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

func weight(w []float64, i int) float64 {
	if w == nil {
		return 1
	}
	return w[i]
}
