package models

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// TrainWeights checks a training set against the setup and returns the
// sample weights to use (unit weights when w is nil). Rows of X must be
// finite: missing values are imputed by preprocessing, never here.
func TrainWeights(X *mat.Dense, y []int, w []float64, setup Setup) ([]float64, error) {
	if X == nil {
		return nil, fmt.Errorf("no training matrix")
	}
	n, d := X.Dims()
	if n == 0 || d == 0 {
		return nil, fmt.Errorf("empty training matrix (%d rows, %d columns)", n, d)
	}
	if len(y) != n {
		return nil, fmt.Errorf("%d labels for %d training rows", len(y), n)
	}
	if len(setup.Categorical) != 0 && len(setup.Categorical) != d {
		return nil, fmt.Errorf("setup describes %d columns, training matrix has %d", len(setup.Categorical), d)
	}
	if err := finite(X, "training"); err != nil {
		return nil, err
	}
	for i, c := range y {
		if c < 0 || c >= setup.Classes {
			return nil, fmt.Errorf("training row %d: class index %d, want 0..%d", i, c, setup.Classes-1)
		}
	}
	if w == nil {
		w = make([]float64, n)
		for i := range w {
			w[i] = 1
		}
		return w, nil
	}
	if len(w) != n {
		return nil, fmt.Errorf("%d sample weights for %d training rows", len(w), n)
	}
	sum := 0.0
	for i, v := range w {
		if !(v >= 0) || math.IsInf(v, 1) {
			return nil, fmt.Errorf("training row %d: sample weight %v, want a finite value >= 0", i, v)
		}
		sum += v
	}
	if !(sum > 0) {
		return nil, fmt.Errorf("sample weights sum to %v, want > 0", sum)
	}
	return w, nil
}

// finite returns an error naming the first NaN or infinite cell of X.
func finite(X *mat.Dense, what string) error {
	n, _ := X.Dims()
	for i := 0; i < n; i++ {
		for j, v := range X.RawRowView(i) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%s row %d, column %d: value %v, want a finite number (impute missing values first)",
					what, i, j, v)
			}
		}
	}
	return nil
}

// CheckPredict checks that X has the fitted number of columns and no NaN.
func CheckPredict(X *mat.Dense, features int, fitted bool) error {
	if !fitted {
		return fmt.Errorf("model is not fitted")
	}
	if X == nil {
		return fmt.Errorf("no matrix to predict")
	}
	n, d := X.Dims()
	if n == 0 || d == 0 {
		return fmt.Errorf("empty matrix (%d rows, %d columns)", n, d)
	}
	if d != features {
		return fmt.Errorf("matrix has %d columns, model was fitted on %d", d, features)
	}
	return finite(X, "input")
}

// LogSumExp returns log(sum(exp(z))) without overflow.
func LogSumExp(z []float64) float64 {
	m := math.Inf(-1)
	for _, v := range z {
		if v > m {
			m = v
		}
	}
	if math.IsInf(m, -1) {
		return m
	}
	s := 0.0
	for _, v := range z {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

// SoftmaxInto writes the softmax of z into p (which may alias z).
func SoftmaxInto(p, z []float64) {
	lse := LogSumExp(z)
	for k, v := range z {
		p[k] = math.Exp(v - lse)
	}
}

// Sigmoid is the logistic function, stable for large |z|.
func Sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// Log1pExp returns log(1+exp(z)) without overflow.
func Log1pExp(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}
