package metrics

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// classCounts counts the rows of each class, panicking on a label outside
// 0..k-1.
func classCounts(y []int, k int) []int {
	n := make([]int, k)
	for i, c := range y {
		if c < 0 || c >= k {
			panic(fmt.Sprintf("metrics: label %d of row %d outside 0..%d", c, i, k-1))
		}
		n[c]++
	}
	return n
}

func checkRows(y []int, P mat.Matrix) (n, k int) {
	n, k = P.Dims()
	if n != len(y) {
		panic(fmt.Sprintf("metrics: %d labels but %d probability rows", len(y), n))
	}
	return n, k
}

// macroOVR averages one-vs-rest binary metrics over the classes that occur
// in y but not in every row of y: sklearn's average="macro" over the
// label_binarize(y) columns. Each class's column is ranked once whatever the
// number of metrics. A result is NaN when no class qualifies or P holds a
// NaN.
func macroOVR(y []int, P mat.Matrix, metrics ...func(counts) float64) []float64 {
	n, k := checkRows(y, P)
	present := classCounts(y, k)
	col := make([]float64, n)
	per := make([][]float64, len(metrics))
	out := make([]float64, len(metrics))
	for c := range k {
		if present[c] == 0 || present[c] == n {
			continue
		}
		mat.Col(col, c, P)
		cc, ok := binaryCounts(y, col, c)
		if !ok {
			for m := range out {
				out[m] = math.NaN()
			}
			return out
		}
		for m, metric := range metrics {
			per[m] = append(per[m], metric(cc))
		}
	}
	for m := range out {
		out[m] = mean(per[m]) // NaN when empty
	}
	return out
}

// MacroROCAUC is the one-vs-rest ROC AUC of each class's column of P,
// averaged with equal weight per class: sklearn's roc_auc_score(y, P,
// multi_class="ovr", average="macro"). sklearn refuses input where some
// class of P never occurs in y; here such classes (whose AUC is undefined)
// are left out of the average, so the result equals sklearn's whenever
// sklearn gives one. NaN when no class has a defined AUC or P holds a NaN.
func MacroROCAUC(y []int, P *mat.Dense) float64 {
	return macroOVR(y, P, counts.auc)[0]
}

// MacroAveragePrecision is the average precision of each class's column of
// P against the rest, averaged with equal weight per class:
// sklearn's average_precision_score(label_binarize(y, classes=range(K)), P,
// average="macro"). Classes absent from y are left out of the average
// (sklearn 1.2.1 would count each as 0), so the two agree whenever every
// class occurs in y. NaN when y holds a single class or P holds a NaN.
func MacroAveragePrecision(y []int, P *mat.Dense) float64 {
	return macroOVR(y, P, counts.ap)[0]
}
