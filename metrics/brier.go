package metrics

import "gonum.org/v1/gonum/mat"

// Brier is the Brier score, the mean squared distance between predicted
// probabilities and what happened; lower is better. For two classes it is
// sklearn.metrics.brier_score_loss(y == pos, P[:, pos]): the mean of
// (P[i, pos] - [y[i] == pos])², between 0 and 1. For more classes it is
// Brier's original multi-category score, the mean over rows of
// Σ_k (P[i, k] - [y[i] == k])², between 0 and 2 (what scikit-learn 1.6's
// brier_score_loss computes for multiclass targets). NaN when y is empty or
// P holds a NaN.
func Brier(y []int, P *mat.Dense, pos int) float64 {
	n, k := checkRows(y, P)
	classCounts(y, k) // validates labels
	sq := make([]float64, n)
	for i := range n {
		row := P.RawRowView(i)[:k]
		if k == 2 {
			d := row[pos]
			if y[i] == pos {
				d -= 1
			}
			sq[i] = d * d
			continue
		}
		s := 0.0
		for j, v := range row {
			if j == y[i] {
				v -= 1
			}
			s += v * v
		}
		sq[i] = s
	}
	return mean(sq)
}
