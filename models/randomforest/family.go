// Package randomforest registers the random_forest family: bagged trees on bootstrap samples, a random subset of features per node
// (package models/tree).
package randomforest

import (
	"fmt"

	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/tree"
)

// Name is the family's name.
const Name models.Family = "random_forest"

func init() {
	models.Register(&models.Descriptor{
		Name:      Name,
		Label:     "Random forest",
		Order:     60,
		Package:   "github.com/goautoml/automl/models/randomforest",
		NewParams: func() models.Params { return &tree.ForestParams{} },
		Default: func() models.Params {
			return &tree.ForestParams{Trees: 100, Criterion: "gini", MinSamplesLeaf: 1, Bootstrap: true, MaxBins: 255}
		},
		New: func(p models.Params, s models.Setup) (models.Classifier, error) {
			return tree.NewRandomForest(*p.(*tree.ForestParams), tree.ConfigOf(s)), nil
		},
		Save: func(dir string, _ models.Params, c models.Classifier) error {
			return tree.SaveClassifier(dir, Name, c)
		},
		Load: func(dir string, _ models.Params, s models.Setup) (models.Classifier, error) {
			return tree.LoadClassifier(dir, Name, s)
		},
		Space: func(models.Shape) models.Space { return tree.ForestSpace(true) },
		Cost:  tree.ForestCost,
		Describe: func(p models.Params) string {
			q := p.(*tree.ForestParams)
			return fmt.Sprintf("%d trees, %s, %s", q.Trees, models.Limit("leaves", q.MaxLeaves), models.Limit("depth", q.MaxDepth))
		},
	})
}
