package naivebayes

import (
	"fmt"

	"github.com/goautoml/automl/models"
)

// Name is the family's name.
const Name models.Family = "naive_bayes"

func init() {
	models.Register(&models.Descriptor{
		Name:      Name,
		Label:     "Naive Bayes",
		Order:     20,
		Package:   "github.com/goautoml/automl/models/naivebayes",
		NewParams: func() models.Params { return &Params{} },
		Default:   func() models.Params { return &Params{Kind: "gaussian", VarSmoothing: 1e-9, Alpha: 1} },
		New: func(p models.Params, s models.Setup) (models.Classifier, error) {
			return New(*p.(*Params), s), nil
		},
		Save:  save,
		Load:  load,
		Space: space,
		Cost:  cost,
		Describe: func(p models.Params) string {
			q := p.(*Params)
			if q.Kind == "gaussian" {
				return fmt.Sprintf("Gaussian, variance smoothing %.3g", q.VarSmoothing)
			}
			return fmt.Sprintf("%s, smoothing %.3g", q.Kind, q.Alpha)
		},
	})
}

// space: Gaussian (one-hot inputs) or mixed categorical (ordinal codes),
// with log-uniform smoothing.
func space(models.Shape) models.Space {
	return models.Space{
		Start: []models.Values{models.Vals(map[string]float64{"alpha": 1, "var_smoothing": 1e-9}, map[string]string{"kind": "categorical"})},
		Dims: []models.Dim{
			{Name: "kind", Choices: []string{"gaussian", "categorical"}},
			{Name: "alpha", Lo: 0.01, Hi: 10, Log: true},
			{Name: "var_smoothing", Lo: 1e-11, Hi: 1e-1, Log: true},
		},
		Build: func(v models.Values) (models.Params, models.Prep) {
			enc := "ordinal"
			if v.Choice["kind"] == "gaussian" {
				enc = "onehot"
			}
			return &Params{Kind: v.Choice["kind"], Alpha: v.Num["alpha"], VarSmoothing: v.Num["var_smoothing"]},
				models.Prep{Encoding: enc}
		},
	}
}

func save(dir string, p models.Params, c models.Classifier) error {
	m, ok := c.(*Classifier)
	if !ok || m.State == nil {
		return fmt.Errorf("models: save %s: classifier is a %T, not a fitted %s model", Name, c, Name)
	}
	return models.SaveState(dir, Name, m.State, p)
}

func load(dir string, p models.Params, setup models.Setup) (models.Classifier, error) {
	st := &State{}
	if err := models.LoadCheckedState(dir, Name, st, st.check, setup); err != nil {
		return nil, err
	}
	return &Classifier{Params: *p.(*Params), Setup: setup, State: st}, nil
}

// check reports a state whose shapes do not agree (a damaged file).
func (st *State) check(setup models.Setup) error {
	if err := models.CheckClasses(st.Classes, setup); err != nil {
		return err
	}
	K := st.Classes
	if len(st.ClassWeight) != K || len(st.Theta) != K || len(st.Var) != K || len(st.LogProb) != K ||
		len(st.Categorical) != len(st.Cardinality) || len(st.Gaussian)+len(st.Categorical) != st.Features {
		return fmt.Errorf("naive bayes state shapes disagree with %d classes and %d features", K, st.Features)
	}
	for _, j := range append(append([]int(nil), st.Gaussian...), st.Categorical...) {
		if j < 0 || j >= st.Features {
			return fmt.Errorf("naive bayes column %d out of range 0..%d", j, st.Features-1)
		}
	}
	for c := 0; c < K; c++ {
		if len(st.Theta[c]) != len(st.Gaussian) || len(st.Var[c]) != len(st.Gaussian) ||
			len(st.LogProb[c]) != len(st.Categorical) {
			return fmt.Errorf("naive bayes class %d parameters disagree with the columns", c)
		}
		for f, card := range st.Cardinality {
			if len(st.LogProb[c][f]) != card {
				return fmt.Errorf("naive bayes class %d column %d has %d codes, want %d",
					c, st.Categorical[f], len(st.LogProb[c][f]), card)
			}
		}
	}
	return nil
}

// cost (models.Cost): one pass over the cells to count, one to score.
func cost(_ models.Params, s models.Shape) float64 {
	return float64(s.Rows) * float64(s.Features) * 20e-9
}
