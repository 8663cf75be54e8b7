package naivebayes

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
		np := &Params{Kind: p["kind"].(string)}
		if v, ok := p["var_smoothing"]; ok {
			np.VarSmoothing = v.(float64)
		}
		if v, ok := p["alpha"]; ok {
			np.Alpha = v.(float64)
		}
		return models.Spec{Family: Name, Params: np}, 1e-9
	})
}
