package automl

import (
	"testing"

	"github.com/goautoml/automl/dataset"
)

// TestAutoFolds: the folds AutoCV picks by the number of training and
// validation rows, and a single split when a class is too rare for folds.
func TestAutoFolds(t *testing.T) {
	target := func(n, minority int) *dataset.Target {
		t := &dataset.Target{Rows: make([]int, n), Y: make([]int, n)}
		for i := range t.Rows {
			t.Rows[i] = i
			if i < minority {
				t.Y[i] = 1
			}
		}
		return t
	}
	split := dataset.SplitSpec{TrainFrac: 0.6, ValFrac: 0.2}
	for _, tc := range []struct {
		rows, minority, want int
	}{
		{1000, 300, 5},   // German Credit: 800 non-test rows
		{2500, 500, 5},   // 2,000
		{2600, 500, 3},   // 2,080
		{25000, 5000, 3}, // 20,000
		{25100, 5000, 0}, // 20,080
		{1000, 12, 0},    // 9.6 minority rows outside test
		{1000, 13, 5},
	} {
		if got := AutoFolds(target(tc.rows, tc.minority), split); got != tc.want {
			t.Errorf("%d rows, %d in the minority class: %d folds, want %d", tc.rows, tc.minority, got, tc.want)
		}
	}
}
