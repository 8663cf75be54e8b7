package metrics_test

import (
	"fmt"

	"github.com/goautoml/automl/metrics"
	"gonum.org/v1/gonum/mat"
)

// The example of sklearn.metrics.roc_curve's documentation, whose labels
// 1 and 2 become class indices 0 and 1.
func ExampleROCCurve() {
	y := []int{0, 0, 1, 1}
	score := []float64{0.1, 0.4, 0.35, 0.8}
	fpr, tpr, thresholds := metrics.ROCCurve(y, score, 1)
	fmt.Println(fpr)
	fmt.Println(tpr)
	fmt.Println(thresholds)
	fmt.Println(metrics.ROCAUC(y, score, 1))
	// Output:
	// [0 0 0.5 0.5 1]
	// [0 0.5 0.5 1 1]
	// [1.8 0.8 0.4 0.35 0.1]
	// 0.75
}

// The example of sklearn.metrics.precision_recall_curve's documentation.
func ExamplePRCurve() {
	y := []int{0, 0, 1, 1}
	score := []float64{0.1, 0.4, 0.35, 0.8}
	precision, recall, thresholds := metrics.PRCurve(y, score, 1)
	fmt.Printf("%.4f\n", precision)
	fmt.Println(recall)
	fmt.Println(thresholds)
	fmt.Printf("%.4f\n", metrics.AveragePrecision(y, score, 1))
	// Output:
	// [0.5000 0.6667 0.5000 1.0000 1.0000]
	// [1 1 0.5 0.5 0]
	// [0.1 0.35 0.4 0.8]
	// 0.8333
}

func ExampleEvaluate() {
	y := []int{0, 0, 1, 1, 1}
	P := mat.NewDense(5, 2, []float64{
		0.9, 0.1,
		0.4, 0.6,
		0.3, 0.7,
		0.2, 0.8,
		0.6, 0.4,
	})
	m := metrics.Evaluate(y, P, 1)
	for _, name := range metrics.Names {
		fmt.Printf("%s %.4f\n", name, m[name])
	}
	// Output:
	// roc_auc 0.8333
	// pr_auc 0.9167
	// log_loss 0.5036
	// brier 0.1720
	// accuracy 0.6000
	// balanced_accuracy 0.5833
	// precision 0.6667
	// recall 0.6667
	// f1 0.6667
}
