package logistic

import (
	"context"
	"math"
	"sort"

	"gonum.org/v1/gonum/floats"
)

// owlqnMemory is the number of correction pairs OWL-QN keeps.
const owlqnMemory = 10

// l1Solve minimises loss(theta) + lam*||W||₁ (intercepts unpenalised) in
// place with OWL-QN (Andrew and Gao 2007): L-BFGS directions built from the
// smooth loss, computed on the pseudo-gradient, kept in the orthant of the
// current point, with a backtracking line search that projects onto that
// orthant, and (for the multinomial loss) a recentring of the
// coefficients along the directions the loss cannot see. It stops when the largest component of the minimum-norm
// subgradient (the pseudo-gradient) is below tol, after maxIter
// iterations, when steps no longer decrease the objective beyond rounding
// error (reported as not converged unless tol holds), or
// when ctx is done. It returns the iterations used and whether tol was
// reached.
func l1Solve(ctx context.Context, loss *logisticLoss, lam float64, theta []float64, maxIter int, tol float64) (int, bool, error) {
	nw := loss.rows * loss.d // penalised coefficients come first
	dim := len(theta)
	x := theta
	g := make([]float64, dim)  // smooth gradient at x
	pg := make([]float64, dim) // pseudo-gradient at x
	d := make([]float64, dim)
	xNew := make([]float64, dim)
	gNew := make([]float64, dim)
	orth := make([]float64, dim)
	var S, Y [][]float64
	var rho []float64
	alpha := make([]float64, owlqnMemory)
	eps := math.Nextafter(1, 2) - 1
	stalls := 0

	objective := func(x []float64, f float64) float64 {
		return f + lam*floats.Norm(x[:nw], 1)
	}
	F := objective(x, loss.eval(x, g))
	for iter := 1; iter <= maxIter; iter++ {
		if ctx.Err() != nil {
			return iter, false, context.Cause(ctx)
		}
		pseudoGradient(pg, x, g, nw, lam)
		if floats.Norm(pg, math.Inf(1)) < tol {
			return iter - 1, true, nil
		}
		// d = -H pg by the two-loop recursion.
		floats.ScaleTo(d, -1, pg)
		for k := len(S) - 1; k >= 0; k-- {
			alpha[k] = rho[k] * floats.Dot(S[k], d)
			floats.AddScaled(d, -alpha[k], Y[k])
		}
		if n := len(S); n > 0 {
			floats.Scale(floats.Dot(S[n-1], Y[n-1])/floats.Dot(Y[n-1], Y[n-1]), d)
		}
		for k := range S {
			b := rho[k] * floats.Dot(Y[k], d)
			floats.AddScaled(d, alpha[k]-b, S[k])
		}
		// Keep the direction where it agrees with steepest descent.
		for j := range d {
			if d[j]*pg[j] >= 0 {
				d[j] = 0
			}
		}
		for j := range orth {
			switch {
			case j >= nw:
				orth[j] = 0 // unconstrained
			case x[j] != 0:
				orth[j] = math.Copysign(1, x[j])
			default:
				orth[j] = math.Copysign(1, -pg[j])
			}
		}
		step := 1.0
		if len(S) == 0 {
			step = 1 / math.Max(floats.Norm(pg, 2), 1e-300)
		}
		accepted := false
		var FNew float64
		for try := 0; try < 60; try++ {
			floats.AddScaledTo(xNew, x, step, d)
			for j := 0; j < nw; j++ {
				if xNew[j]*orth[j] <= 0 {
					xNew[j] = 0
				}
			}
			FNew = objective(xNew, loss.eval(xNew, gNew))
			dec := 0.0
			for j := range pg {
				dec += pg[j] * (xNew[j] - x[j])
			}
			if FNew <= F+1e-4*dec {
				accepted = true
				break
			}
			step /= 2
		}
		// At the rounding-error floor steps stop decreasing the objective:
		// give up after a few such steps rather than spin.
		if accepted && F-FNew <= 4*eps*math.Abs(F) {
			stalls++
		} else {
			stalls = 0
		}
		if !accepted || stalls == 5 {
			return iter, floats.Norm(pg, math.Inf(1)) < tol, nil
		}
		s := make([]float64, dim)
		yv := make([]float64, dim)
		floats.SubTo(s, xNew, x)
		floats.SubTo(yv, gNew, g)
		if sy := floats.Dot(s, yv); sy > 1e-12*floats.Dot(yv, yv) && sy > 0 {
			if len(S) == owlqnMemory {
				S, Y, rho = S[1:], Y[1:], rho[1:]
			}
			S, Y, rho = append(S, s), append(Y, yv), append(rho, 1/sy)
		}
		copy(x, xNew)
		copy(g, gNew) // the loss and its gradient do not see recentring
		F = FNew
		if loss.rows > 1 {
			before := lam * floats.Norm(x[:nw], 1)
			if recentre(x, loss.rows, loss.d) {
				F += lam*floats.Norm(x[:nw], 1) - before
			}
		}
	}
	pseudoGradient(pg, x, g, nw, lam)
	return maxIter, floats.Norm(pg, math.Inf(1)) < tol, nil
}

// pseudoGradient writes into pg the minimum-norm subgradient of
// loss + lam*||x[:nw]||₁ at x, given the loss gradient g.
func pseudoGradient(pg, x, g []float64, nw int, lam float64) {
	for j, gj := range g {
		switch {
		case j >= nw:
			pg[j] = gj
		case x[j] > 0:
			pg[j] = gj + lam
		case x[j] < 0:
			pg[j] = gj - lam
		case gj+lam < 0:
			pg[j] = gj + lam
		case gj-lam > 0:
			pg[j] = gj - lam
		default:
			pg[j] = 0
		}
	}
}

// subgradientNorm is the max-norm of the minimum-norm subgradient of
// loss + lam*||x[:nw]||₁ at x, given the loss gradient g.
func subgradientNorm(x, g []float64, nw int, lam float64) float64 {
	pg := make([]float64, len(g))
	pseudoGradient(pg, x, g, nw, lam)
	return floats.Norm(pg, math.Inf(1))
}

// recentre moves a multinomial solution along the directions the softmax
// loss cannot see: adding a vector to every class's coefficients (or a
// constant to every intercept) leaves all probabilities unchanged. Per
// feature it subtracts the median over classes when that lowers the L1
// norm, which is where the optimum along that direction lies; the
// quasi-Newton model, which sees only the loss, cannot find it and
// zig-zags. It reports whether x changed.
func recentre(x []float64, rows, d int) bool {
	col := make([]float64, rows)
	changed := false
	for j := 0; j < d; j++ {
		for k := range col {
			col[k] = x[k*d+j]
		}
		sort.Float64s(col)
		m := col[(rows-1)/2]
		before, after := 0.0, 0.0
		for _, v := range col {
			before += math.Abs(v)
			after += math.Abs(v - m)
		}
		if after < before {
			for k := 0; k < rows; k++ {
				x[k*d+j] -= m
			}
			changed = true
		}
	}
	return changed
}
