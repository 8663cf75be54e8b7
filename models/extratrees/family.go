// Package extratrees registers the extra_trees family: extremely randomised trees: random thresholds on all rows, a random subset of features per node
// (package models/tree).
package extratrees

import (
	"fmt"

	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/tree"
)

// Name is the family's name.
const Name models.Family = "extra_trees"

func init() {
	models.Register(&models.Descriptor{
		Name:      Name,
		Label:     "Extra trees",
		Order:     70,
		Package:   "github.com/goautoml/automl/models/extratrees",
		NewParams: func() models.Params { return &tree.ForestParams{} },
		Default: func() models.Params {
			return &tree.ForestParams{Trees: 100, Criterion: "gini", MinSamplesLeaf: 1, Bootstrap: false, MaxBins: 255}
		},
		New: func(p models.Params, s models.Setup) (models.Classifier, error) {
			return tree.NewExtraTrees(*p.(*tree.ForestParams), tree.ConfigOf(s)), nil
		},
		Save: func(dir string, _ models.Params, c models.Classifier) error {
			return tree.SaveClassifier(dir, Name, c)
		},
		Load: func(dir string, _ models.Params, s models.Setup) (models.Classifier, error) {
			return tree.LoadClassifier(dir, Name, s)
		},
		Space: func(models.Shape) models.Space { return tree.ForestSpace(false) },
		Cost:  tree.ForestCost,
		Describe: func(p models.Params) string {
			q := p.(*tree.ForestParams)
			return fmt.Sprintf("%d trees, %s, %s", q.Trees, models.Limit("leaves", q.MaxLeaves), models.Limit("depth", q.MaxDepth))
		},
	})
}
