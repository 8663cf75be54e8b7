package tree

import (
	"io"

	"gonum.org/v1/gonum/mat"
)

// fitted is what every trained tree model holds once Fit has run: its
// configuration and the trees. Forest and GBDT embed it for the methods
// that only read the trees.
type fitted struct {
	cfg Config
	ens *Ensemble
}

// Ensemble returns the fitted trees (nil before Fit).
func (m *fitted) Ensemble() *Ensemble { return m.ens }

// WriteModel writes the fitted model in LightGBM's text format (v3).
func (m *fitted) WriteModel(w io.Writer) error {
	if m.ens == nil {
		return ErrNotFitted
	}
	return m.ens.WriteLightGBM(w)
}

// PredictProba returns class probabilities, one row per row of X.
func (m *fitted) PredictProba(X *mat.Dense) (*mat.Dense, error) {
	if m.ens == nil {
		return nil, ErrNotFitted
	}
	return m.ens.PredictProba(X, m.cfg.workers())
}
