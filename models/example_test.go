package models_test

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/knn"
)

func Example() {
	// Two classes on one feature: class 0 near 0, class 1 near 4.
	X := mat.NewDense(6, 1, []float64{-1, 0, 1, 3, 4, 5})
	y := []int{0, 0, 0, 1, 1, 1}
	spec := models.DefaultSpec(knn.Name)
	if p, ok := models.ParamsOf[*knn.Params](spec); ok {
		p.K = 3
	}
	m, err := spec.New(models.Setup{Classes: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := m.Fit(context.Background(), X, y, nil); err != nil {
		fmt.Println(err)
		return
	}
	// At 2 the neighbours are 1 and 3 (distance 1) and 0 (distance 2, tied
	// with 4 and taken for its lower row): weights 1+1/2 against 1. At 4
	// the query matches a training row, which takes all the weight.
	P, err := m.PredictProba(mat.NewDense(2, 1, []float64{2, 4}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.3f\n", mat.Formatted(P))
	// Output:
	// ⎡0.600  0.400⎤
	// ⎣0.000  1.000⎦
}
