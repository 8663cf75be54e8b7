package automl

import "gonum.org/v1/gonum/mat"

func denseOf(r, c int, v []float64) *mat.Dense { return mat.NewDense(r, c, v) }
