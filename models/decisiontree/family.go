// Package decisiontree registers the decision_tree family: one CART-style
// classification tree grown on histograms (package models/tree).
package decisiontree

import (
	"fmt"

	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/tree"
)

// Name is the family's name.
const Name models.Family = "decision_tree"

func init() {
	models.Register(&models.Descriptor{
		Name:      Name,
		Label:     "Decision tree",
		Order:     40,
		Package:   "github.com/goautoml/automl/models/decisiontree",
		NewParams: func() models.Params { return &tree.TreeParams{} },
		Default: func() models.Params {
			return &tree.TreeParams{Criterion: "gini", MinSamplesLeaf: 1, MaxBins: 255}
		},
		New: func(p models.Params, s models.Setup) (models.Classifier, error) {
			return tree.NewDecisionTree(*p.(*tree.TreeParams), tree.ConfigOf(s)), nil
		},
		Save: func(dir string, _ models.Params, c models.Classifier) error {
			return tree.SaveClassifier(dir, Name, c)
		},
		Load: func(dir string, _ models.Params, s models.Setup) (models.Classifier, error) {
			return tree.LoadClassifier(dir, Name, s)
		},
		Space: space,
		Cost:  tree.TreeCost,
		Describe: func(p models.Params) string {
			q := p.(*tree.TreeParams)
			return fmt.Sprintf("%s splits, %s, at least %d rows per leaf", q.Criterion, models.Limit("depth", q.MaxDepth), q.MinSamplesLeaf)
		},
	})
}

// space starts from a shallow tree with large leaves.
func space(models.Shape) models.Space {
	return models.Space{
		Start: []models.Values{models.Vals(map[string]float64{"max_depth": 4, "min_samples_leaf": 10},
			map[string]string{"criterion": "gini", "encoding": "onehot"})},
		Dims: []models.Dim{
			{Name: "criterion", Choices: []string{"gini", "entropy"}},
			{Name: "max_depth", Lo: 2, Hi: 16, Int: true},
			{Name: "min_samples_leaf", Lo: 1, Hi: 100, Log: true, Int: true},
			tree.EncodingDim,
		},
		Build: func(v models.Values) (models.Params, models.Prep) {
			return &tree.TreeParams{Criterion: v.Choice["criterion"], MaxDepth: v.Int("max_depth"),
					MinSamplesLeaf: v.Int("min_samples_leaf"), MaxBins: 255,
					CategoricalSplits: v.Choice["encoding"] == "ordinal"},
				models.Prep{Encoding: v.Choice["encoding"]}
		},
	}
}
