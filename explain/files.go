package explain

import (
	"bytes"
	"encoding/csv"
	"math"
	"path/filepath"
	"slices"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/store"
)

// Files of a trial's explain/ folder (store.Layout.ExplainFile names them
// inside the experiment folder).
const (
	Folder         = store.ExplainDir
	MetricsFile    = "metrics.json"
	ImportanceFile = "importance.csv"
	SHAPFile       = "shap_values.csv"
	ReadmeFile     = "README.md"
)

// Metrics is metrics.json: the evaluation of a trial's model on each held
// out split and how its SHAP values were made.
type Metrics struct {
	Trial    int      `json:"trial"`
	Family   string   `json:"family"`
	Metric   string   `json:"metric"`
	Classes  []string `json:"classes"`
	Positive int      `json:"positive"`
	// Splits has "validation" (absent with cross-validation: the kept model
	// was refit on those rows) and "test" (absent without test rows).
	Splits      map[string]*SplitMetrics `json:"splits"`
	SHAP        SHAPInfo                 `json:"shap"`
	Permutation *PermutationInfo         `json:"permutation_importance,omitempty"`
}

// SplitMetrics evaluates the model on one split's rows.
type SplitMetrics struct {
	Rows int `json:"rows"`
	// Of is the number of rows in the split when Rows are a sample of
	// them (Options.SplitRows; 0: Rows are the whole split).
	Of        int                `json:"of,omitempty"`
	Metrics   map[string]float64 `json:"metrics"`
	Confusion [][]int            `json:"confusion"` // rows = true class, columns = predicted (argmax, or the bundle's threshold)
	// ROC and PR hold the positive class's curve (binary) or one
	// one-vs-rest curve per class, equal to sklearn.metrics.roc_curve and
	// precision_recall_curve.
	ROC         []CurveData       `json:"roc"`
	PR          []CurveData       `json:"pr"`
	Calibration []CalibrationData `json:"calibration"`
}

// CurveData is one curve: ROC (X = fpr, Y = tpr) or PR (X = recall, Y =
// precision). Area is the ROC AUC or the average precision.
type CurveData struct {
	Class      string    `json:"class"`
	Area       *float64  `json:"area,omitempty"`
	X          []float64 `json:"x"`
	Y          []float64 `json:"y"`
	Thresholds []float64 `json:"thresholds"`
}

// CalibrationData is a calibration curve in 10 equal-width bins.
type CalibrationData struct {
	Class    string    `json:"class"`
	MeanPred []float64 `json:"mean_predicted"`
	FracPos  []float64 `json:"fraction_positive"`
	Counts   []int     `json:"counts"`
}

// SHAPInfo says how shap_values.csv was made.
type SHAPInfo struct {
	// Method is "tree_path_dependent" (exact TreeSHAP with the training
	// covers), "permutation" (model-agnostic sampling) or, for a bundle
	// with several members, "members": the weighted sum of the members'
	// probability SHAP values (Members lists how each was explained).
	// SHAP explains the model before a bundle's calibration, which is not
	// additive; the ROC, PR and confusion plots use the calibrated output.
	Method string `json:"method"`
	// Output is what the values explain: "raw_margin" (GBDT log-odds or
	// per-class raw scores), "probability" (forests' averaged leaf
	// values, and every model explained by sampling).
	Output string `json:"output"`
	// Members lists each member's method when the model is an ensemble
	// (Method "members": the weighted sum of the members' probability SHAP).
	Members      []string           `json:"members,omitempty"`
	Split        string             `json:"split"` // where the explained rows come from
	Rows         int                `json:"rows"`
	Requested    int                `json:"requested"`
	Partial      bool               `json:"partial"` // the time bound stopped the estimate early
	Background   int                `json:"background,omitempty"`
	Permutations int                `json:"permutations,omitempty"`
	Seed         uint64             `json:"seed"`
	BaseValues   map[string]float64 `json:"base_values"` // per explained class
	Seconds      float64            `json:"seconds"`
}

// PermutationInfo says how the permutation importances were made.
type PermutationInfo struct {
	Split    string  `json:"split"`
	Metric   string  `json:"metric"`
	Baseline float64 `json:"baseline"`
	Repeats  int     `json:"repeats"`
	// Rows is how many rows were shuffled and scored (Options.ImportanceRows).
	Rows int `json:"rows,omitempty"`
}

func finitePtr(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func allFinite(vs ...[]float64) bool {
	for _, v := range vs {
		for _, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return false
			}
		}
	}
	return true
}

// EvaluateSplit computes a split's metrics, confusion matrix and curves
// from labels y and probabilities P.
func EvaluateSplit(y []int, P *mat.Dense, classes []string, pos int) *SplitMetrics {
	s := &SplitMetrics{Rows: len(y), Metrics: map[string]float64{}}
	for k, v := range metrics.Evaluate(y, P, pos) {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			s.Metrics[k] = v
		}
	}
	s.Confusion = metrics.Confusion(y, metrics.Argmax(P), len(classes))
	for _, k := range targets(classes, pos) {
		sc := scores(P, k)
		if fpr, tpr, th := metrics.ROCCurve(y, sc, k); fpr != nil && allFinite(fpr, tpr, th) {
			s.ROC = append(s.ROC, CurveData{Class: classes[k], Area: finitePtr(metrics.ROCAUC(y, sc, k)), X: fpr, Y: tpr, Thresholds: th})
		}
		if prec, rec, th := metrics.PRCurve(y, sc, k); prec != nil && allFinite(prec, rec, th) {
			s.PR = append(s.PR, CurveData{Class: classes[k], Area: finitePtr(metrics.AveragePrecision(y, sc, k)), X: rec, Y: prec, Thresholds: th})
		}
		mp, fp, n := metrics.Calibration(y, sc, k, 10)
		s.Calibration = append(s.Calibration, CalibrationData{Class: classes[k], MeanPred: mp, FracPos: fp, Counts: n})
	}
	return s
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// writeSHAP writes shap_values.csv: one line per explained row and class,
// so that base_value plus the column values equals raw_prediction.
func writeSHAP(path string, columns []string, rows []int, classes []string, outs []int, c *Contributions) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	head := append(append([]string{"row", "class", "base_value"}, columns...), "raw_prediction")
	if err := w.Write(head); err != nil {
		return err
	}
	n := len(c.Raw[0])
	for i := range n {
		for o, k := range outs {
			rec := []string{strconv.Itoa(rows[i]), classes[k], num(c.Base[o])}
			for _, v := range c.Phi[o].RawRowView(i) {
				rec = append(rec, num(v))
			}
			rec = append(rec, num(c.Raw[o][i]))
			if err := w.Write(rec); err != nil {
				return err
			}
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return store.WriteFile(path, b.Bytes())
}

// writeImportance writes importance.csv, most important column first.
func writeImportance(path string, columns []string, shap []float64, perm *Permutation) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	head := []string{"column", "mean_abs_shap"}
	if perm != nil {
		head = append(head, "permutation_mean", "permutation_std")
	}
	if err := w.Write(head); err != nil {
		return err
	}
	order := ranked(shap, len(shap))
	if shap == nil && perm != nil {
		order = ranked(perm.Mean, len(perm.Mean))
	}
	for _, j := range order {
		rec := []string{columns[j], ""}
		if shap != nil {
			rec[1] = num(shap[j])
		}
		if perm != nil {
			rec = append(rec, num(perm.Mean[j]), num(perm.Std[j]))
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return store.WriteFile(path, b.Bytes())
}

const readme = `# Explanations of this trial

Made by automl's explain package (` + "`automl explain <experiment> --trial N`" + ` remakes them).

- metrics.json: metrics, confusion matrix (rows = true class, columns = predicted
  class), ROC / precision-recall / calibration curves for the validation and
  test rows, and how the SHAP values below were made.
- shap_values.csv: SHAP values of a seeded sample of held-out rows, one line per
  row and explained class: row (0-based data row, header excluded), class,
  base_value, one column per input column, raw_prediction. For every line,
  base_value + the sum of the input columns = raw_prediction, so additivity can
  be checked from this file alone.
  What is explained (metrics.json, shap.output):
  - gradient-boosted trees: the raw margin, exact TreeSHAP: the log-odds of the
    positive class (binary) or each class's raw score before the softmax;
  - decision trees, random forests, extra trees: the averaged leaf value,
    that is the predicted probability, exact TreeSHAP;
  - every other model: the predicted probability of each class (of the
    positive class only for binary problems), estimated by permutation
    sampling against a seeded background of at most 100 training rows.
  One-hot and date parts are summed back to the input column they came from.
- importance.csv: per input column, the mean |SHAP value| (summed over classes
  for multiclass problems) and the permutation importance: the mean and
  standard deviation of the drop of the primary metric when the column is
  shuffled (validation rows; test rows with cross-validation).
- Plots, each as PNG and SVG (fonts embedded): roc_*, pr_*, confusion_*,
  confusion_rates_* (rows normalised), calibration_* for the validation and
  test rows; shap_bar (top 20 columns) and shap_beeswarm (one dot per row and
  column, coloured by the column's value).
`

// splitOrder lists the split names in the order files are made.
var splitOrder = []string{"validation", "test"}

func fileList(dir string, names []string) []string {
	out := slices.Clone(names)
	for i := range out {
		out[i] = filepath.Join(dir, out[i])
	}
	return out
}
