package calibrate

import "math"

// Temperature scaling (Guo et al. 2017, "On calibration of modern neural
// networks") divides every class's log-probability by one number T and takes
// the softmax again:
//
//	p'_j = exp(log(p_j) / T) / Σ_c exp(log(p_c) / T)
//
// T > 1 softens a model that is too sure of itself, T < 1 sharpens one that
// is too timid; the ranking of the classes in a row never changes. Unlike
// the one-class-against-the-rest maps, it keeps the joint shape of a
// multiclass row and fits one parameter, so it stays stable on the few
// hundred held-out rows of a small data set.
//
// Probabilities are clipped to TemperatureFloor before the logarithm, as the
// log loss clips them, so a zero probability stays finite and the fit and
// the metric agree on every row.

// TemperatureFloor is the smallest probability temperature scaling takes a
// logarithm of.
const TemperatureFloor = 1e-15

// The fitted 1/T is kept in [minInvT, maxInvT]: beyond it a calibrator
// would either flatten every row to uniform or turn it into a hard vote.
const (
	minInvT = 0.01
	maxInvT = 100.0
)

// Temper rescales row (the probabilities of one row, summing to 1) to
// temperature t in place.
func Temper(row []float64, t float64) {
	inv := 1 / t
	top := math.Inf(-1)
	for j, v := range row {
		row[j] = math.Log(max(v, TemperatureFloor)) * inv
		top = max(top, row[j])
	}
	s := 0.0
	for j, v := range row {
		row[j] = math.Exp(v - top)
		s += row[j]
	}
	for j := range row {
		row[j] /= s
	}
}

// FitTemperature returns the temperature that minimises the log loss of
// the rows p (n × classes, row-major) with labels y. The loss is convex in
// β = 1/T (each row's term is a log-sum-exp of functions linear in β, minus
// a linear one): its derivative, increasing in β, is driven to zero by
// Newton steps kept inside a bracket that bisection shrinks when a step
// leaves it.
func FitTemperature(p []float64, y []int, classes int) float64 {
	n := len(y)
	logp := make([]float64, len(p))
	for i, v := range p {
		logp[i] = math.Log(max(v, TemperatureFloor))
	}
	// slope returns the derivative of the summed loss in β, and the second
	// derivative: per row, E_w[log p] − log p_y and Var_w[log p], w being
	// the tempered row.
	w := make([]float64, classes)
	slope := func(beta float64) (g, h float64) {
		for i := range n {
			row := logp[i*classes : (i+1)*classes]
			top := math.Inf(-1)
			for _, v := range row {
				top = max(top, beta*v)
			}
			s := 0.0
			for j, v := range row {
				w[j] = math.Exp(beta*v - top)
				s += w[j]
			}
			var m1, m2 float64
			for j, v := range row {
				q := w[j] / s
				m1 += q * v
				m2 += q * v * v
			}
			g += m1 - row[y[i]]
			h += max(m2-m1*m1, 0)
		}
		return g, h
	}
	// The bracket [lo, hi] holds the root; the bounds themselves are only
	// evaluated when a Newton step heads past one of them (rarely: on rows
	// the model nearly always ranks right, or not at all).
	lo, hi := minInvT, maxInvT
	loSeen, hiSeen := false, false
	beta := 1.0
	for range 200 {
		g, h := slope(beta)
		if g == 0 {
			break
		}
		if g > 0 {
			hi, hiSeen = beta, true
		} else {
			lo, loSeen = beta, true
		}
		next := beta - g/h
		if !(h > 0) || !(next > lo && next < hi) {
			if g < 0 && !hiSeen {
				if gb, _ := slope(hi); gb <= 0 {
					return 1 / hi
				}
				hiSeen = true
			}
			if g > 0 && !loSeen {
				if gb, _ := slope(lo); gb >= 0 {
					return 1 / lo
				}
				loSeen = true
			}
			next = (lo + hi) / 2
		}
		if math.Abs(next-beta) <= 1e-13*beta || hi-lo <= 1e-13*beta {
			beta = next
			break
		}
		beta = next
	}
	return 1 / beta
}
