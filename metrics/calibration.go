package metrics

import (
	"fmt"
	"math"
	"sort"
)

// Calibration bins score into bins equal-width bins over [0, 1] and returns,
// for each bin holding at least one score (in increasing order), the mean
// score, the fraction of rows whose label is pos, and the number of rows:
// sklearn.calibration.calibration_curve(y == pos, score, n_bins=bins,
// strategy="uniform") returns (fracPos, meanPred). A score on an inner bin
// edge falls in the lower bin, as in sklearn. Scores below 0 count in the
// first bin and above 1 in the last (sklearn refuses them); NaN scores are
// skipped. bins < 1 panics.
func Calibration(y []int, score []float64, pos int, bins int) (meanPred, fracPos []float64, counts []int) {
	if len(y) != len(score) {
		panic(fmt.Sprintf("metrics: %d labels but %d scores", len(y), len(score)))
	}
	if bins < 1 {
		panic(fmt.Sprintf("metrics: calibration with %d bins", bins))
	}
	// Inner edges exactly as np.linspace(0, 1, bins+1)[1:-1] computes them.
	step := 1.0 / float64(bins)
	inner := make([]float64, bins-1)
	for i := range inner {
		inner[i] = float64(i+1) * step
	}
	sums := make([]float64, bins)
	hits := make([]float64, bins)
	total := make([]int, bins)
	for i, s := range score {
		if math.IsNaN(s) {
			continue
		}
		b := sort.SearchFloat64s(inner, s) // inner edges strictly below s
		sums[b] += s
		total[b]++
		if y[i] == pos {
			hits[b]++
		}
	}
	for b := range bins {
		if total[b] == 0 {
			continue
		}
		meanPred = append(meanPred, sums[b]/float64(total[b]))
		fracPos = append(fracPos, hits[b]/float64(total[b]))
		counts = append(counts, total[b])
	}
	return meanPred, fracPos, counts
}
