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
	loss := func(a, b float64) float64 {
		s := 0.0
		for i, fi := range f {
			// -[t log p + (1-t) log(1-p)] with p = expit(-(a f + b)),
			// written through log1p(exp) to stay finite.
			z := a*fi + b
			t := target(i)
			s += weight(w, i) * (t*softplus(z) + (1-t)*softplus(-z))
		}
		return s
	}
	a, b := 0.0, math.Log((prior0+1)/(prior1+1))
	cur := loss(a, b)
	for range 100 {
		// Gradient and Hessian of the loss in (a, b).
		var ga, gb, haa, hab, hbb float64
		for i, fi := range f {
			p := expit(-(a*fi + b))
			wi := weight(w, i)
			d := wi * (target(i) - p) // ∂loss/∂z
			ga += d * fi
			gb += d
			h := wi * p * (1 - p)
			haa += h * fi * fi
			hab += h * fi
			hbb += h
		}
		det := haa*hbb - hab*hab
		if !(det > 0) || math.Abs(ga)+math.Abs(gb) < 1e-13 {
			break
		}
		da, db := (hbb*ga-hab*gb)/det, (haa*gb-hab*ga)/det
		step := 1.0
		for range 60 {
			if l := loss(a-step*da, b-step*db); l <= cur {
				a, b, cur = a-step*da, b-step*db, l
				break
			}
			step /= 2
		}
		if math.Abs(step*da)+math.Abs(step*db) < 1e-15 {
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
