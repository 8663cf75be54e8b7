package metrics

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// LogLossClip is the clipping bound LogLoss uses: sklearn's eps=1e-15, the
// default of sklearn up to 1.1. sklearn 1.2 changed the default to "auto",
// the float64 machine epsilon (2.220446049250313e-16); LogLossEps with that
// value reproduces the 1.2.1 default.
const LogLossClip = 1e-15

// LogLoss is the mean negative log-likelihood of the true classes,
// sklearn.metrics.log_loss(y, P, eps=1e-15, labels=range(K)) of sklearn
// 1.2.1: each probability is clipped to [1e-15, 1-1e-15], each row is
// divided by its sum, and the mean of -log P[i, y[i]] is returned. NaN when
// y is empty or P holds a NaN.
func LogLoss(y []int, P *mat.Dense) float64 {
	return LogLossEps(y, P, LogLossClip)
}

// LogLossEps is LogLoss with the clipping bound eps:
// sklearn.metrics.log_loss(y, P, eps=eps, labels=range(K)).
func LogLossEps(y []int, P *mat.Dense, eps float64) float64 {
	n, k := checkRows(y, P)
	classCounts(y, k) // validates labels
	row := make([]float64, k)
	loss := make([]float64, n)
	hi := 1 - eps
	for i := range n {
		for j, v := range P.RawRowView(i)[:k] {
			row[j] = min(max(v, eps), hi) // NaN stays NaN
		}
		loss[i] = -math.Log(row[y[i]] / sum(row))
	}
	return mean(loss)
}
