package calibrate

import (
	"math"
	"slices"
)

// Threshold picks the decision threshold for the positive class of a binary
// target from held-out scores: the one that maximises metric ("f1",
// "accuracy" or "balanced_accuracy"; other metrics, which do not depend on
// a threshold, use f1), predicting positive when score ≥ threshold. The
// threshold is the midpoint between the two neighbouring distinct scores
// it separates, so it does not sit on a held-out row; ties keep the one
// nearest 0.5. It returns 0.5 when the scores cannot separate anything.
func Threshold(score []float64, positive []bool, metric string) (threshold, value float64) {
	n := len(score)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case score[a] > score[b]:
			return -1
		case score[a] < score[b]:
			return 1
		}
		return 0
	})
	var P float64
	for _, p := range positive {
		if p {
			P++
		}
	}
	N := float64(n) - P
	rate := func(tp, fp float64) float64 {
		fn, tn := P-tp, N-fp
		switch metric {
		case "accuracy":
			return (tp + tn) / float64(n)
		case "balanced_accuracy":
			var r float64
			if P > 0 {
				r += tp / P
			}
			if N > 0 {
				r += tn / N
			}
			return r / 2
		}
		if tp == 0 {
			return 0
		}
		return 2 * tp / (2*tp + fp + fn)
	}
	threshold, value = 0.5, math.Inf(-1)
	var tp, fp float64
	// Predicting positive for the k highest scores, for each k at a change
	// of score (k = 0: nobody positive).
	consider := func(t, v float64) {
		if v > value || (v == value && math.Abs(t-0.5) < math.Abs(threshold-0.5)) {
			threshold, value = t, v
		}
	}
	if n > 0 {
		consider(math.Nextafter(score[idx[0]], math.Inf(1)), rate(0, 0))
	}
	for k := 0; k < n; k++ {
		if positive[idx[k]] {
			tp++
		} else {
			fp++
		}
		if k+1 < n && score[idx[k+1]] == score[idx[k]] {
			continue
		}
		t := score[idx[k]]
		if k+1 < n {
			t = (score[idx[k]] + score[idx[k+1]]) / 2
		}
		consider(t, rate(tp, fp))
	}
	if math.IsInf(value, -1) {
		return 0.5, math.NaN()
	}
	return threshold, value
}
