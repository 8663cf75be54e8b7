package metrics

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Names lists the metrics Evaluate computes, in display order.
var Names = []string{"roc_auc", "pr_auc", "log_loss", "brier", "accuracy", "balanced_accuracy", "precision", "recall", "f1"}

// HigherIsBetter reports whether a larger value of the named metric is
// better: false only for log_loss and brier (and for names not in Names,
// which no one should rank by, true).
func HigherIsBetter(metric string) bool {
	return metric != "log_loss" && metric != "brier"
}

// Evaluate computes every metric in Names for the probabilities P (n×K)
// against the true classes y. Predicted classes are Argmax(P).
//
// With K == 2 the problem is binary: roc_auc and pr_auc (average
// precision) score column pos, and precision, recall and f1 are those of
// class pos. Otherwise roc_auc is the one-vs-rest macro ROC AUC, pr_auc the
// macro average precision, and precision, recall and f1 are macro averages
// (see MacroROCAUC, MacroAveragePrecision, MacroPRF); pos is ignored.
//
// Metrics that are undefined are left out of the map rather than set to
// NaN, so the map always marshals to JSON: roc_auc (and, for K > 2,
// pr_auc) when y holds a single class, and any metric that a NaN in P makes
// NaN. Each score column is ranked once.
func Evaluate(y []int, P *mat.Dense, pos int) map[string]float64 {
	n, k := checkRows(y, P)
	pred := Argmax(P)
	out := make(map[string]float64, len(Names))
	var rocAUC, prAUC, precision, recall, f1 float64
	if k == 2 {
		if pos < 0 || pos >= k {
			panic(fmt.Sprintf("metrics: positive class %d of a binary problem", pos))
		}
		classCounts(y, k)
		score := make([]float64, n)
		mat.Col(score, pos, P)
		rocAUC, prAUC = math.NaN(), math.NaN()
		if c, ok := binaryCounts(y, score, pos); ok {
			rocAUC, prAUC = c.auc(), c.ap()
		}
		precision, recall, f1 = PRF(y, pred, pos)
	} else {
		both := macroOVR(y, P, counts.auc, counts.ap)
		rocAUC, prAUC = both[0], both[1]
		precision, recall, f1 = MacroPRF(y, pred, k)
	}
	for name, v := range map[string]float64{
		"roc_auc":           rocAUC,
		"pr_auc":            prAUC,
		"log_loss":          LogLoss(y, P),
		"brier":             Brier(y, P, pos),
		"accuracy":          Accuracy(y, pred),
		"balanced_accuracy": BalancedAccuracy(y, pred, k),
		"precision":         precision,
		"recall":            recall,
		"f1":                f1,
	} {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out[name] = v
		}
	}
	return out
}

// Value is the named metric of Evaluate alone, the same value (NaN where
// Evaluate leaves it out), for a caller that rates many probability
// matrices by one metric: the ensemble selection rates thousands of
// blends. ok is false for a name not in Names.
func Value(name string, y []int, P *mat.Dense, pos int) (v float64, ok bool) {
	n, k := checkRows(y, P)
	if k == 2 && (pos < 0 || pos >= k) {
		panic(fmt.Sprintf("metrics: positive class %d of a binary problem", pos))
	}
	classCounts(y, k) // validates labels, as Evaluate does
	switch name {
	case "log_loss":
		v = LogLoss(y, P)
	case "brier":
		v = Brier(y, P, pos)
	case "accuracy":
		v = Accuracy(y, Argmax(P))
	case "balanced_accuracy":
		v = BalancedAccuracy(y, Argmax(P), k)
	case "roc_auc", "pr_auc":
		rank := counts.auc
		if name == "pr_auc" {
			rank = counts.ap
		}
		if k != 2 {
			v = macroOVR(y, P, rank)[0]
			break
		}
		score := make([]float64, n)
		mat.Col(score, pos, P)
		v = math.NaN()
		if c, ok := binaryCounts(y, score, pos); ok {
			v = rank(c)
		}
	case "precision", "recall", "f1":
		var prf [3]float64
		if pred := Argmax(P); k == 2 {
			prf[0], prf[1], prf[2] = PRF(y, pred, pos)
		} else {
			prf[0], prf[1], prf[2] = MacroPRF(y, pred, k)
		}
		v = prf[map[string]int{"precision": 0, "recall": 1, "f1": 2}[name]]
	default:
		return math.NaN(), false
	}
	if math.IsInf(v, 0) {
		v = math.NaN()
	}
	return v, true
}
