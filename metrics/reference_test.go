package metrics

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// refCase is one case of testdata/reference.json, written by
// testdata/make_reference.py with scikit-learn 1.2.1.
type refCase struct {
	Name string      `json:"name"`
	K    int         `json:"k"`
	Pos  int         `json:"pos"`
	Y    []int       `json:"y"`
	P    [][]float64 `json:"P"`

	// Binary cases.
	Score            []float64 `json:"score"`
	ROCAUC           float64   `json:"roc_auc"`
	ROCFPR           []float64 `json:"roc_fpr"`
	ROCTPR           []float64 `json:"roc_tpr"`
	ROCThresholds    []float64 `json:"roc_thresholds"`
	AveragePrecision float64   `json:"average_precision"`
	PRPrecision      []float64 `json:"pr_precision"`
	PRRecall         []float64 `json:"pr_recall"`
	PRThresholds     []float64 `json:"pr_thresholds"`
	Precision        float64   `json:"precision"`
	Recall           float64   `json:"recall"`
	F1               float64   `json:"f1"`
	Calibration      map[string]struct {
		FracPos  []float64 `json:"frac_pos"`
		MeanPred []float64 `json:"mean_pred"`
	} `json:"calibration"`

	// Multiclass cases.
	PerClassROCAUC []float64 `json:"per_class_roc_auc"`
	PerClassAP     []float64 `json:"per_class_ap"`
	Present        []int     `json:"present"`
	MacroROCAUC    float64   `json:"macro_roc_auc"`
	MacroAP        float64   `json:"macro_ap"`

	// All cases.
	Pred              []int   `json:"pred"`
	LogLoss           float64 `json:"log_loss"`
	LogLossMachineEps float64 `json:"log_loss_machine_eps"`
	Brier             float64 `json:"brier"`
	Accuracy          float64 `json:"accuracy"`
	BalancedAccuracy  float64 `json:"balanced_accuracy"`
	MacroPrecision    float64 `json:"macro_precision"`
	MacroRecall       float64 `json:"macro_recall"`
	MacroF1           float64 `json:"macro_f1"`
	ConfusionMatrix   [][]int `json:"confusion"`
}

func loadReference(t testing.TB) []refCase {
	t.Helper()
	data, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Sklearn string    `json:"sklearn"`
		Cases   []refCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	if ref.Sklearn != "1.2.1" || len(ref.Cases) == 0 {
		t.Fatalf("reference.json: sklearn %q, %d cases", ref.Sklearn, len(ref.Cases))
	}
	return ref.Cases
}

func (c refCase) matrix() *mat.Dense {
	P := mat.NewDense(len(c.P), len(c.P[0]), nil)
	for i, row := range c.P {
		P.SetRow(i, row)
	}
	return P
}

// tol is the largest difference allowed from sklearn's numbers.
const tol = 1e-12

// checker compares numbers with sklearn's and tallies how many agree to
// the last bit, which the verbose log reports.
type checker struct {
	t            *testing.T
	exact, total int
	worst        float64
}

func (ck *checker) num(what string, got, want float64) {
	ck.t.Helper()
	ck.total++
	if got == want || (math.IsNaN(got) && math.IsNaN(want)) {
		ck.exact++
		return
	}
	d := math.Abs(got - want)
	ck.worst = max(ck.worst, d)
	if !(d <= tol) {
		ck.t.Errorf("%s = %.17g, sklearn %.17g (diff %.3g)", what, got, want, d)
	} else {
		ck.t.Logf("%s = %.17g, sklearn %.17g: within tolerance", what, got, want)
	}
}

func (ck *checker) vec(what string, got, want []float64) {
	ck.t.Helper()
	if len(got) != len(want) {
		ck.t.Errorf("%s: %d values, sklearn %d", what, len(got), len(want))
		return
	}
	for i := range got {
		ck.num(fmt.Sprintf("%s[%d]", what, i), got[i], want[i])
	}
}

func TestReference(t *testing.T) {
	for _, c := range loadReference(t) {
		t.Run(c.Name, func(t *testing.T) {
			ck := &checker{t: t}
			P := c.matrix()
			pred := Argmax(P)
			if fmt.Sprint(pred) != fmt.Sprint(c.Pred) {
				t.Fatalf("Argmax differs from numpy argmax")
			}
			ck.num("LogLoss", LogLoss(c.Y, P), c.LogLoss)
			ck.num("LogLossEps(machine eps)", LogLossEps(c.Y, P, 0x1p-52), c.LogLossMachineEps)
			ck.num("Accuracy", Accuracy(c.Y, pred), c.Accuracy)
			ck.num("BalancedAccuracy", BalancedAccuracy(c.Y, pred, c.K), c.BalancedAccuracy)
			p, r, f := MacroPRF(c.Y, pred, c.K)
			ck.num("MacroPRF precision", p, c.MacroPrecision)
			ck.num("MacroPRF recall", r, c.MacroRecall)
			ck.num("MacroPRF f1", f, c.MacroF1)
			if got := Confusion(c.Y, pred, c.K); fmt.Sprint(got) != fmt.Sprint(c.ConfusionMatrix) {
				t.Errorf("Confusion = %v, sklearn %v", got, c.ConfusionMatrix)
			}
			ev := Evaluate(c.Y, P, c.Pos)
			if c.K == 2 {
				checkBinary(ck, c)
				ck.num("Evaluate roc_auc", ev["roc_auc"], c.ROCAUC)
				ck.num("Evaluate pr_auc", ev["pr_auc"], c.AveragePrecision)
				ck.num("Evaluate precision", ev["precision"], c.Precision)
				ck.num("Evaluate recall", ev["recall"], c.Recall)
				ck.num("Evaluate f1", ev["f1"], c.F1)
			} else {
				checkMulticlass(ck, c, P)
				ck.num("Evaluate roc_auc", ev["roc_auc"], c.MacroROCAUC)
				ck.num("Evaluate pr_auc", ev["pr_auc"], c.MacroAP)
				ck.num("Evaluate precision", ev["precision"], c.MacroPrecision)
				ck.num("Evaluate recall", ev["recall"], c.MacroRecall)
				ck.num("Evaluate f1", ev["f1"], c.MacroF1)
			}
			ck.num("Evaluate log_loss", ev["log_loss"], c.LogLoss)
			ck.num("Brier", Brier(c.Y, P, c.Pos), c.Brier)
			ck.num("Evaluate brier", ev["brier"], c.Brier)
			ck.num("Evaluate accuracy", ev["accuracy"], c.Accuracy)
			ck.num("Evaluate balanced_accuracy", ev["balanced_accuracy"], c.BalancedAccuracy)
			if len(ev) != len(Names) {
				t.Errorf("Evaluate gave %d metrics, want %d: %v", len(ev), len(Names), ev)
			}
			t.Logf("%d of %d numbers equal sklearn's bit for bit; largest difference %.3g", ck.exact, ck.total, ck.worst)
		})
	}
}

func checkBinary(ck *checker, c refCase) {
	t := ck.t
	t.Helper()
	fpr, tpr, thr := ROCCurve(c.Y, c.Score, c.Pos)
	ck.vec("ROCCurve fpr", fpr, c.ROCFPR)
	ck.vec("ROCCurve tpr", tpr, c.ROCTPR)
	ck.vec("ROCCurve thresholds", thr, c.ROCThresholds)
	ck.num("ROCAUC", ROCAUC(c.Y, c.Score, c.Pos), c.ROCAUC)
	prec, rec, pthr := PRCurve(c.Y, c.Score, c.Pos)
	ck.vec("PRCurve precision", prec, c.PRPrecision)
	ck.vec("PRCurve recall", rec, c.PRRecall)
	ck.vec("PRCurve thresholds", pthr, c.PRThresholds)
	ck.num("AveragePrecision", AveragePrecision(c.Y, c.Score, c.Pos), c.AveragePrecision)
	p, r, f := PRF(c.Y, Argmax(c.matrix()), c.Pos)
	ck.num("PRF precision", p, c.Precision)
	ck.num("PRF recall", r, c.Recall)
	ck.num("PRF f1", f, c.F1)
	for _, bins := range []int{5, 10} {
		want, ok := c.Calibration[fmt.Sprint(bins)]
		if !ok {
			continue
		}
		meanPred, fracPos, counts := Calibration(c.Y, c.Score, c.Pos, bins)
		ck.vec(fmt.Sprintf("Calibration(%d) meanPred", bins), meanPred, want.MeanPred)
		ck.vec(fmt.Sprintf("Calibration(%d) fracPos", bins), fracPos, want.FracPos)
		total := 0
		for _, n := range counts {
			if n <= 0 {
				t.Errorf("Calibration(%d) reports an empty bin: %v", bins, counts)
			}
			total += n
		}
		if total != len(c.Y) || len(counts) != len(meanPred) {
			t.Errorf("Calibration(%d) counts %v: total %d over %d bins, want %d rows over %d bins",
				bins, counts, total, len(counts), len(c.Y), len(meanPred))
		}
	}
}

func checkMulticlass(ck *checker, c refCase, P *mat.Dense) {
	ck.num("MacroROCAUC", MacroROCAUC(c.Y, P), c.MacroROCAUC)
	ck.num("MacroAveragePrecision", MacroAveragePrecision(c.Y, P), c.MacroAP)
	col := make([]float64, len(c.Y))
	for i, cls := range c.Present {
		mat.Col(col, cls, P)
		ck.num(fmt.Sprintf("ROCAUC class %d", cls), ROCAUC(c.Y, col, cls), c.PerClassROCAUC[i])
		ck.num(fmt.Sprintf("AveragePrecision class %d", cls), AveragePrecision(c.Y, col, cls), c.PerClassAP[i])
	}
}
