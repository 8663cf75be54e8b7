package explain

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

type curveRef struct {
	Y        []int       `json:"y"`
	P        [][]float64 `json:"P"`
	PerClass []struct {
		Class     int       `json:"class"`
		FPR       []float64 `json:"fpr"`
		TPR       []float64 `json:"tpr"`
		ROCThr    []float64 `json:"roc_thresholds"`
		AUC       float64   `json:"auc"`
		Precision []float64 `json:"precision"`
		Recall    []float64 `json:"recall"`
		PRThr     []float64 `json:"pr_thresholds"`
		AP        float64   `json:"ap"`
	} `json:"per_class"`
	Confusion [][]int `json:"confusion"`
}

// TestCurvesMatchSklearn: the curves and confusion counts written to
// metrics.json (and drawn) equal sklearn.metrics' outputs exactly
// (testdata/make_curves.py, scikit-learn 1.2.1).
func TestCurvesMatchSklearn(t *testing.T) {
	raw, err := os.ReadFile("testdata/curves.json")
	if err != nil {
		t.Fatal(err)
	}
	var refs map[string]curveRef
	if err := json.Unmarshal(raw, &refs); err != nil {
		t.Fatal(err)
	}
	for name, ref := range refs {
		k := len(ref.P[0])
		P := mat.NewDense(len(ref.P), k, nil)
		for i, r := range ref.P {
			P.SetRow(i, r)
		}
		classes := []string{"a", "b", "c"}[:k]
		pos := -1
		want := ref.PerClass
		if k == 2 {
			pos = 1
			want = want[1:]
		}
		got := EvaluateSplit(ref.Y, P, classes, pos)
		if len(got.ROC) != len(want) || len(got.PR) != len(want) {
			t.Fatalf("%s: %d ROC and %d PR curves, want %d", name, len(got.ROC), len(got.PR), len(want))
		}
		for i, w := range want {
			r, p := got.ROC[i], got.PR[i]
			if r.Class != classes[w.Class] {
				t.Errorf("%s: curve %d is class %s, want %s", name, i, r.Class, classes[w.Class])
			}
			for what, pair := range map[string][2][]float64{
				"fpr": {r.X, w.FPR}, "tpr": {r.Y, w.TPR}, "roc thresholds": {r.Thresholds, w.ROCThr},
				"precision": {p.Y, w.Precision}, "recall": {p.X, w.Recall}, "pr thresholds": {p.Thresholds, w.PRThr},
			} {
				if !slices.Equal(pair[0], pair[1]) {
					t.Errorf("%s class %d %s:\n got  %v\n want %v", name, w.Class, what, pair[0], pair[1])
				}
			}
			if *r.Area != w.AUC || *p.Area != w.AP {
				t.Errorf("%s class %d: AUC %.17g AP %.17g, sklearn %.17g %.17g", name, w.Class, *r.Area, *p.Area, w.AUC, w.AP)
			}
		}
		for i := range ref.Confusion {
			if !slices.Equal(got.Confusion[i], ref.Confusion[i]) {
				t.Errorf("%s: confusion %v, sklearn %v", name, got.Confusion, ref.Confusion)
				break
			}
		}
	}
}
