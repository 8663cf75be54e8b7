package models

import (
	"context"
	"math"

	"gonum.org/v1/gonum/floats"
)

// proxGradient minimises loss(theta) + lam*||W||₁ (intercepts unpenalised)
// in place with FISTA: accelerated proximal gradient steps, a backtracking
// estimate of the gradient's Lipschitz constant, and gradient-based
// adaptive restart (O'Donoghue and Candès 2015). It stops when the largest
// component of the minimum-norm subgradient is below tol (checked every 10
// iterations and at the last one), after maxIter iterations, or when ctx is
// done. It returns the iterations used and whether tol was reached.
func proxGradient(ctx context.Context, loss *logisticLoss, lam float64, theta []float64, maxIter int, tol float64) (int, bool, error) {
	nw := loss.rows * loss.d // penalised coefficients come first
	dim := len(theta)
	x := theta
	y := append([]float64(nil), x...)
	xNew := make([]float64, dim)
	g := make([]float64, dim)
	gx := make([]float64, dim)
	diff := make([]float64, dim)
	step := make([]float64, dim)
	L, t := 1.0, 1.0
	fy := loss.eval(y, g)
	for iter := 1; iter <= maxIter; iter++ {
		if ctx.Err() != nil {
			return iter, false, context.Cause(ctx)
		}
		L *= 0.9
		for {
			floats.AddScaledTo(step, y, -1/L, g)
			softThreshold(xNew[:nw], step[:nw], lam/L)
			copy(xNew[nw:], step[nw:])
			fx := loss.eval(xNew, nil)
			floats.SubTo(diff, xNew, y)
			bound := fy + floats.Dot(g, diff) + 0.5*L*floats.Dot(diff, diff)
			if fx <= bound+1e-15*math.Abs(fy) || L > 1e300 {
				break
			}
			L *= 2
		}
		if iter%10 == 0 || iter == maxIter {
			loss.eval(xNew, gx)
			if subgradientNorm(xNew, gx, nw, lam) < tol {
				copy(x, xNew)
				return iter, true, nil
			}
		}
		// Restart the momentum when it points uphill.
		floats.SubTo(diff, xNew, x)
		up := 0.0
		for j := range diff {
			up += (y[j] - xNew[j]) * diff[j]
		}
		if up > 0 {
			t = 1
		}
		tNew := (1 + math.Sqrt(1+4*t*t)) / 2
		floats.AddScaledTo(y, xNew, (t-1)/tNew, diff)
		copy(x, xNew)
		t = tNew
		fy = loss.eval(y, g)
	}
	return maxIter, false, nil
}

// softThreshold sets dst[j] = sign(src[j]) * max(|src[j]|-a, 0).
func softThreshold(dst, src []float64, a float64) {
	for j, v := range src {
		switch {
		case v > a:
			dst[j] = v - a
		case v < -a:
			dst[j] = v + a
		default:
			dst[j] = 0
		}
	}
}

// subgradientNorm is the max-norm of the minimum-norm subgradient of
// loss + lam*||x[:nw]||₁ at x, given the loss gradient g.
func subgradientNorm(x, g []float64, nw int, lam float64) float64 {
	m := 0.0
	for j, gj := range g {
		var s float64
		switch {
		case j >= nw:
			s = math.Abs(gj)
		case x[j] > 0:
			s = math.Abs(gj + lam)
		case x[j] < 0:
			s = math.Abs(gj - lam)
		default:
			s = math.Max(0, math.Abs(gj)-lam)
		}
		m = math.Max(m, s)
	}
	return m
}
