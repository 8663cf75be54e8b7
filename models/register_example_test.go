package models_test

import (
	"context"
	"fmt"
	"os"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/models"
)

// prior is a family that predicts the training class frequencies for
// every row: the smallest family there is, to show what one takes.
type priorParams struct {
	Smoothing float64 `json:"smoothing"` // added to every class count
}

func (p *priorParams) Validate() error {
	if !(p.Smoothing >= 0) {
		return fmt.Errorf("smoothing %v, want >= 0", p.Smoothing)
	}
	return nil
}

type prior struct {
	p     priorParams
	setup models.Setup
	Freq  []float64 `json:"freq"` // nil until fitted
}

func (m *prior) Fit(ctx context.Context, X *mat.Dense, y []int, w []float64) error {
	w, err := models.TrainWeights(X, y, w, m.setup)
	if err != nil {
		return err
	}
	m.Freq = make([]float64, m.setup.Classes)
	tot := 0.0
	for i, c := range y {
		m.Freq[c] += w[i]
		tot += w[i]
	}
	for c := range m.Freq {
		m.Freq[c] = (m.Freq[c] + m.p.Smoothing) / (tot + m.p.Smoothing*float64(len(m.Freq)))
	}
	return nil
}

func (m *prior) PredictProba(X *mat.Dense) (*mat.Dense, error) {
	if m.Freq == nil {
		return nil, fmt.Errorf("prior: not fitted")
	}
	n, _ := X.Dims()
	P := mat.NewDense(n, len(m.Freq), nil)
	for i := range n {
		P.SetRow(i, m.Freq)
	}
	return P, nil
}

func ExampleRegister() {
	const name models.Family = "example_prior"
	// In a package of its own, this call is its init function.
	models.Register(&models.Descriptor{
		Name:      name,
		Label:     "Class prior",
		Order:     1000,
		OptIn:     true, // searched only when included by name
		NewParams: func() models.Params { return &priorParams{} },
		Default:   func() models.Params { return &priorParams{Smoothing: 1} },
		New: func(p models.Params, s models.Setup) (models.Classifier, error) {
			return &prior{p: *p.(*priorParams), setup: s}, nil
		},
		Save: func(dir string, p models.Params, c models.Classifier) error {
			return models.SaveState(dir, name, c, p)
		},
		Load: func(dir string, p models.Params, s models.Setup) (models.Classifier, error) {
			m := &prior{p: *p.(*priorParams), setup: s}
			_, err := models.LoadState(dir, name, m)
			return m, err
		},
		Space: func(models.Shape) models.Space {
			return models.Space{
				Start: []models.Values{models.Vals(map[string]float64{"smoothing": 1}, nil)},
				Dims:  []models.Dim{{Name: "smoothing", Lo: 0.01, Hi: 10, Log: true}},
				Build: func(v models.Values) (models.Params, models.Prep) {
					return &priorParams{Smoothing: v.Num["smoothing"]}, models.Prep{Encoding: "onehot"}
				},
			}
		},
		Describe: func(p models.Params) string { return fmt.Sprintf("smoothing=%g", p.(*priorParams).Smoothing) },
	})

	// From here on the family is used like any other.
	spec := models.DefaultSpec(name)
	m, err := spec.New(models.Setup{Classes: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	X := mat.NewDense(4, 1, []float64{1, 2, 3, 4})
	if err := m.Fit(context.Background(), X, []int{0, 0, 0, 1}, nil); err != nil {
		fmt.Println(err)
		return
	}
	dir, _ := os.MkdirTemp("", "prior")
	defer os.RemoveAll(dir)
	if err := models.Save(dir, spec, m); err != nil {
		fmt.Println(err)
		return
	}
	back, err := models.Load(dir, spec, models.Setup{Classes: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	P, _ := back.PredictProba(X.Slice(0, 1, 0, 1).(*mat.Dense))
	fmt.Println(models.Label(name), spec.Describe(), mat.Formatted(P))
	// Output:
	// Class prior smoothing=1 [0.6666666666666666  0.3333333333333333]
}
