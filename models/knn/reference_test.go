package knn

import (
	"testing"

	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/modelstest"
)

// Reference outputs come from ../testdata/make_reference.py (scikit-learn
// 1.2.1); see ../testdata/README.md.
func TestReference(t *testing.T) {
	modelstest.Ref{Dir: "../testdata/ref"}.Run(t, Name, func(c modelstest.Case) (models.Spec, float64) {
		p := c.Params
		return models.Spec{Family: Name, Params: &Params{K: int(p["k"].(float64)), Weights: p["weights"].(string),
			Metric: "euclidean"}}, 1e-9
	})
}
