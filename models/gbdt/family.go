// Package gbdt registers the gbdt family: gradient-boosted trees grown
// leaf-wise on histograms, as LightGBM does (package models/tree).
package gbdt

import (
	"fmt"

	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/tree"
)

// Name is the family's name.
const Name models.Family = "gbdt"

func init() {
	models.Register(&models.Descriptor{
		Name:      Name,
		Label:     "Gradient boosting",
		Order:     50,
		Package:   "github.com/goautoml/automl/models/gbdt",
		NewParams: func() models.Params { return &tree.GBDTParams{} },
		Default: func() models.Params {
			return &tree.GBDTParams{Rounds: 100, LearningRate: 0.1, NumLeaves: 31, Growth: "leafwise",
				MinDataInLeaf: 20, MinSumHessian: 1e-3, L2: 1, MaxBins: 255, Binning: tree.BinQuantile}
		},
		New: func(p models.Params, s models.Setup) (models.Classifier, error) {
			return tree.NewGBDT(*p.(*tree.GBDTParams), tree.ConfigOf(s)), nil
		},
		Save: func(dir string, _ models.Params, c models.Classifier) error {
			return tree.SaveClassifier(dir, Name, c)
		},
		Load: func(dir string, _ models.Params, s models.Setup) (models.Classifier, error) {
			return tree.LoadClassifier(dir, Name, s)
		},
		Space: space,
		Cost:  tree.GBDTCost,
		Describe: func(p models.Params) string {
			q := p.(*tree.GBDTParams)
			s := fmt.Sprintf("%d boosting rounds, learning rate %.3g, %d leaves", q.Rounds, q.LearningRate, q.NumLeaves)
			if q.MaxDepth > 0 {
				s += fmt.Sprintf(", depth at most %d", q.MaxDepth)
			}
			return s
		},
		Refit: refit,
	})
}

// space starts from 50 rounds of 4-leaf trees; early stopping (20 rounds)
// cuts every fit short once the validation loss stops falling.
func space(models.Shape) models.Space {
	return models.Space{
		Start: []models.Values{models.Vals(map[string]float64{"rounds": 50, "learning_rate": 0.1, "num_leaves": 4,
			"min_data_in_leaf": 20, "l2": 1, "feature_fraction": 1, "bagging_fraction": 1}, map[string]string{"encoding": "onehot"})},
		// LightGBM's and scikit-learn's histogram boosting defaults (31
		// leaves, learning rate 0.1, 20 rows a leaf), on native categories
		// and on one-hot columns, and a slower, sampled variant.
		Portfolio: []models.Values{
			models.Vals(map[string]float64{"rounds": 200, "learning_rate": 0.1, "num_leaves": 31, "min_data_in_leaf": 20,
				"l2": 1e-3, "feature_fraction": 1, "bagging_fraction": 1}, map[string]string{"encoding": "ordinal"}),
			models.Vals(map[string]float64{"rounds": 200, "learning_rate": 0.1, "num_leaves": 31, "min_data_in_leaf": 20,
				"l2": 1e-3, "feature_fraction": 1, "bagging_fraction": 1}, map[string]string{"encoding": "onehot"}),
			models.Vals(map[string]float64{"rounds": 600, "learning_rate": 0.03, "num_leaves": 15, "min_data_in_leaf": 10,
				"l2": 1, "feature_fraction": 0.8, "bagging_fraction": 0.8}, map[string]string{"encoding": "ordinal"}),
		},
		Dims: []models.Dim{
			{Name: "rounds", Lo: 20, Hi: 1000, Log: true, Int: true},
			{Name: "learning_rate", Lo: 0.01, Hi: 0.3, Log: true},
			{Name: "num_leaves", Lo: 4, Hi: 128, Log: true, Int: true},
			{Name: "min_data_in_leaf", Lo: 2, Hi: 100, Log: true, Int: true},
			{Name: "l2", Lo: 1e-3, Hi: 100, Log: true},
			{Name: "feature_fraction", Lo: 0.5, Hi: 1},
			{Name: "bagging_fraction", Lo: 0.5, Hi: 1},
			tree.EncodingDim,
		},
		Build: func(v models.Values) (models.Params, models.Prep) {
			bf := v.Num["bagging_fraction"]
			freq := 0
			if bf < 1 {
				freq = 1
			}
			return &tree.GBDTParams{Rounds: v.Int("rounds"), LearningRate: v.Num["learning_rate"],
					NumLeaves: v.Int("num_leaves"), Growth: "leafwise", MinDataInLeaf: v.Int("min_data_in_leaf"),
					MinSumHessian: 1e-3, L2: v.Num["l2"], FeatureFraction: v.Num["feature_fraction"],
					BaggingFraction: bf, BaggingFreq: freq, MaxBins: 255, Binning: tree.BinQuantile,
					EarlyStoppingRounds: 20, CategoricalSplits: v.Choice["encoding"] == "ordinal"},
				models.Prep{Encoding: v.Choice["encoding"]}
		},
	}
}

// refit sets the rounds of the model refit on all non-test rows after
// cross-validation to the folds' mean best round (rounded half up), with
// early stopping off: the refit has no validation rows.
func refit(p models.Params, best []int) (models.Params, int) {
	if len(best) == 0 {
		return p, 0
	}
	g := *p.(*tree.GBDTParams)
	sum := 0
	for _, it := range best {
		sum += it
	}
	g.Rounds, g.EarlyStoppingRounds = max(1, (sum+len(best)/2)/len(best)), 0
	return &g, g.Rounds
}
