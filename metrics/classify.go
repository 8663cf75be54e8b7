package metrics

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

func checkPred(y, pred []int) {
	if len(y) != len(pred) {
		panic(fmt.Sprintf("metrics: %d labels but %d predictions", len(y), len(pred)))
	}
}

// Accuracy is the fraction of rows where pred equals y; NaN when empty.
func Accuracy(y, pred []int) float64 {
	checkPred(y, pred)
	hit := 0
	for i := range y {
		if y[i] == pred[i] {
			hit++
		}
	}
	return float64(hit) / float64(len(y))
}

// Confusion counts rows by true class (row index) and predicted class
// (column index) over the classes 0..k-1, as sklearn's confusion_matrix
// with labels=range(k). Labels outside 0..k-1 panic.
func Confusion(y, pred []int, k int) [][]int {
	checkPred(y, pred)
	cells := make([]int, k*k)
	m := make([][]int, k)
	for c := range m {
		m[c] = cells[c*k : (c+1)*k]
	}
	for i := range y {
		t, p := y[i], pred[i]
		if t < 0 || t >= k || p < 0 || p >= k {
			panic(fmt.Sprintf("metrics: row %d has label %d, prediction %d; want 0..%d", i, t, p, k-1))
		}
		m[t][p]++
	}
	return m
}

// BalancedAccuracy is the mean over classes of the recall of each class,
// taken over the classes that occur in y (sklearn's balanced_accuracy_score,
// which drops classes only predicted). NaN when y is empty.
func BalancedAccuracy(y, pred []int, k int) float64 {
	m := Confusion(y, pred, k)
	var per []float64
	for c, row := range m {
		total := 0
		for _, v := range row {
			total += v
		}
		if total > 0 {
			per = append(per, float64(row[c])/float64(total))
		}
	}
	return mean(per)
}

// prf is precision, recall and F1 from the counts of one class with
// sklearn's zero_division=0: an undefined ratio is 0.
func prf(tp, predicted, actual int) (precision, recall, f1 float64) {
	if predicted > 0 {
		precision = float64(tp) / float64(predicted)
	}
	if actual > 0 {
		recall = float64(tp) / float64(actual)
	}
	if d := precision + recall; d != 0 {
		f1 = 2 * precision * recall / d
	}
	return precision, recall, f1
}

// PRF is the precision, recall and F1 of the positive class pos, every
// other label counting as negative: sklearn's precision_recall_fscore_support
// with average="binary", pos_label=pos, zero_division=0.
func PRF(y, pred []int, pos int) (precision, recall, f1 float64) {
	checkPred(y, pred)
	tp, predicted, actual := 0, 0, 0
	for i := range y {
		t, p := y[i] == pos, pred[i] == pos
		if t {
			actual++
		}
		if p {
			predicted++
		}
		if t && p {
			tp++
		}
	}
	return prf(tp, predicted, actual)
}

// MacroPRF averages per-class precision, recall and F1 with equal weight
// over the classes that occur in y or in pred (sklearn's default labels for
// average="macro", zero_division=0). Classes 0..k-1 are allowed; NaN when
// both slices are empty.
func MacroPRF(y, pred []int, k int) (precision, recall, f1 float64) {
	m := Confusion(y, pred, k)
	var ps, rs, fs []float64
	for c := range k {
		actual, predicted := 0, 0
		for j := range k {
			actual += m[c][j]
			predicted += m[j][c]
		}
		if actual == 0 && predicted == 0 {
			continue
		}
		p, r, f := prf(m[c][c], predicted, actual)
		ps, rs, fs = append(ps, p), append(rs, r), append(fs, f)
	}
	return mean(ps), mean(rs), mean(fs)
}

// Argmax returns, for each row of P, the column of its largest entry; ties
// go to the lowest column. NaN entries are ignored (a row of NaNs gives 0).
func Argmax(P *mat.Dense) []int {
	n, k := P.Dims()
	out := make([]int, n)
	if k == 0 {
		return out
	}
	for i := range n {
		best, arg := math.Inf(-1), 0
		for j, v := range P.RawRowView(i)[:k] {
			if v > best {
				best, arg = v, j
			}
		}
		out[i] = arg
	}
	return out
}
