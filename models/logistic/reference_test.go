package logistic

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
		// Both sides are solved far below the default tolerance, so they
		// agree on the unique optimum to what the solvers' stopping
		// rules allow.
		lp := &Params{C: p["c"].(float64), Penalty: p["penalty"].(string), MaxIter: 100000, Tol: 1e-10}
		// newton-cg (tol 1e-8) reaches the L2 optimum: we agree to 1e-7.
		tol := 1e-6
		// saga at tol 1e-10 against OWL-QN at 1e-10: we agree to 1.5e-7.
		if p["solver"] == "lbfgs" {
			// scipy's L-BFGS-B stops on a relative objective change of
			// 64 eps, with a max gradient of up to 7e-6 here.
			tol = 5e-4
		}
		return models.Spec{Family: Name, Params: lp}, tol
	})
}
