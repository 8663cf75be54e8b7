package automl

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/metrics"
)

// TestFoldwiseSelectionScore: with folds, the ensemble selection's score
// is the mean of the folds' metric, as a cross-validated trial's
// validation score is, computed here fold by fold from the frame rows; a
// model whose folds disagree on the scale of their scores loses pooled AUC
// but no fold-wise AUC.
func TestFoldwiseSelectionScore(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	// Frame rows 0..299 (some not scored), three folds interleaved.
	folds := make([][]int, 3)
	var rows []int
	for id := range 300 {
		if id%7 == 3 {
			continue // a test row: in no fold, not scored
		}
		folds[id%3] = append(folds[id%3], id)
		rows = append(rows, id)
	}
	label := make(map[int]int)
	prob := make(map[int]float64) // P(class 1) by frame row
	for _, id := range rows {
		label[id] = r.IntN(2)
		z := 0.8*float64(2*label[id]-1) + r.NormFloat64()
		if id%3 == 1 {
			z += 1.5 // fold 1's model scores everything higher
		}
		prob[id] = 1 / (1 + math.Exp(-z))
	}
	y := make([]int, len(rows))
	p := make([]float64, 0, 2*len(rows))
	for i, id := range rows {
		y[i] = label[id]
		p = append(p, 1-prob[id], prob[id])
	}
	groups := foldGroups(folds, rows)
	if len(groups) != 3 {
		t.Fatalf("%d groups, want 3", len(groups))
	}
	for g, at := range groups {
		for _, i := range at {
			if rows[i]%3 != g {
				t.Fatalf("group %d holds row %d of fold %d", g, rows[i], rows[i]%3)
			}
		}
	}
	want := 0.0
	for _, fold := range folds {
		fy := make([]int, 0, len(fold))
		fp := mat.NewDense(len(fold), 2, nil)
		for i, id := range fold {
			fy = append(fy, label[id])
			fp.SetRow(i, []float64{1 - prob[id], prob[id]})
		}
		want += metrics.Evaluate(fy, fp, 1)["roc_auc"] / 3
	}
	got := metricScore("roc_auc", y, 2, 1, groups)(p)
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("fold-wise score %v, want the mean of the folds' AUC %v", got, want)
	}
	if pooled := metricScore("roc_auc", y, 2, 1, nil)(p); !(pooled < want-0.01) {
		t.Errorf("pooled AUC %v, fold-wise %v: the shifted fold should cost the pooled score", pooled, want)
	}
	// Log loss is negated, fold by fold as well.
	ll := 0.0
	for _, at := range groups {
		sub := mat.NewDense(len(at), 2, nil)
		var sy []int
		for i, j := range at {
			sub.SetRow(i, p[2*j:2*j+2])
			sy = append(sy, y[j])
		}
		ll += metrics.Evaluate(sy, sub, 1)["log_loss"] / float64(len(groups))
	}
	if got := metricScore("log_loss", y, 2, 1, groups)(p); math.Abs(got+ll) > 1e-12 {
		t.Errorf("fold-wise log loss score %v, want %v", got, -ll)
	}
	if foldGroups(folds, append([]int{3}, rows...)) != nil {
		t.Error("a row in no fold: want pooled scoring (nil groups)")
	}
	if foldGroups(nil, rows) != nil {
		t.Error("no folds: want pooled scoring (nil groups)")
	}
}
