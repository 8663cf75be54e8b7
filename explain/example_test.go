package explain_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/explain"
	"github.com/goautoml/automl/models/tree"
)

// A stump on feature 0 (75 training rows go left, 25 right): the base
// value is the cover-weighted mean of the leaves, and a row's SHAP value
// for feature 0 is its leaf value minus that mean.
func ExampleTreeExplainer() {
	stump := tree.Tree{Nodes: []tree.Node{
		{Left: 1, Right: 2, Feature: 0, Threshold: 0.5, Cover: 100},
		{Left: -1, Right: -1, Feature: -1, Value: -1, Cover: 75},
		{Left: -1, Right: -1, Feature: -1, Value: 2, Cover: 25},
	}}
	e := &tree.Ensemble{Trees: []tree.Tree{stump}, Outputs: 1, Classes: 2, Features: 2, Link: tree.Logistic}
	ex, err := explain.NewTreeExplainer(e)
	if err != nil {
		panic(err)
	}
	c, err := ex.Explain(mat.NewDense(2, 2, []float64{0, 7, 1, 7}), 1)
	if err != nil {
		panic(err)
	}
	fmt.Printf("base %.2f\n", c.Base[0])
	for i := range 2 {
		fmt.Printf("row %d: phi %v, raw %.2f\n", i, c.Phi[0].RawRowView(i), c.Raw[0][i])
	}
	// Output:
	// base -0.25
	// row 0: phi [-0.75 0], raw -1.00
	// row 1: phi [2.25 0], raw 2.00
}
