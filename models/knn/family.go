package knn

import (
	"fmt"

	"github.com/goautoml/automl/models"
)

// Name is the family's name.
const Name models.Family = "knn"

// MaxTrainRows is the training-set size above which the search leaves
// k-nearest neighbours out unless the user includes it: it scores by
// comparing every row with every training row, so on large data one trial
// would eat the budget.
const MaxTrainRows = 20000

func init() {
	models.Register(&models.Descriptor{
		Name:      Name,
		Label:     "k nearest neighbours",
		Order:     30,
		Package:   "github.com/goautoml/automl/models/knn",
		NewParams: func() models.Params { return &Params{} },
		Default:   func() models.Params { return &Params{K: 15, Weights: "distance", Metric: "euclidean"} },
		New: func(p models.Params, s models.Setup) (models.Classifier, error) {
			return New(*p.(*Params), s), nil
		},
		Save:  save,
		Load:  load,
		Space: space,
		Cost:  cost,
		Describe: func(p models.Params) string {
			q := p.(*Params)
			w := "equal weights"
			if q.Weights == "distance" {
				w = "weighted by distance"
			}
			return fmt.Sprintf("%d neighbours, %s", q.K, w)
		},
		MaxTrainRows: MaxTrainRows,
		SkipReason:   "k-nearest neighbours would compare each scored row with all of them",
	})
}

// space: k log-uniform in 3..100, uniform or distance votes; scaled,
// one-hot encoded inputs (distances need comparable columns).
func space(models.Shape) models.Space {
	return models.Space{
		Start: []models.Values{models.Vals(map[string]float64{"k": 15}, map[string]string{"weights": "distance"})},
		Dims: []models.Dim{
			{Name: "k", Lo: 3, Hi: 100, Log: true, Int: true},
			{Name: "weights", Choices: []string{"uniform", "distance"}},
		},
		Build: func(v models.Values) (models.Params, models.Prep) {
			return &Params{K: v.Int("k"), Weights: v.Choice["weights"], Metric: "euclidean"},
				models.Prep{Scale: true, Encoding: "onehot"}
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
	n := len(st.Y)
	if n == 0 || st.Features < 1 || len(st.X) != n*st.Features || len(st.W) != n {
		return fmt.Errorf("knn state has %d values, %d labels and %d weights for %d features",
			len(st.X), n, len(st.W), st.Features)
	}
	for i, c := range st.Y {
		if c < 0 || c >= st.Classes {
			return fmt.Errorf("knn row %d has class %d, want 0..%d", i, c, st.Classes-1)
		}
	}
	return nil
}

// cost (models.Cost): scoring dominates, every scored row against every
// training row (the validation rows are about a third of the training
// rows, at most 25,000).
func cost(_ models.Params, s models.Shape) float64 {
	n := float64(s.Rows)
	return n * min(n/3, 25000) * float64(s.Features) * 1e-9
}
