package models

import (
	"fmt"

	"github.com/goautoml/automl/models/tree"
)

// treeConfig converts a Setup into package tree's Config.
func treeConfig(setup Setup) tree.Config {
	return tree.Config{Classes: setup.Classes, Categorical: setup.Categorical,
		Cardinality: setup.Cardinality, Seed: setup.Seed, Workers: setup.Workers}
}

// newTree builds an unfitted classifier of a tree family (decision_tree,
// random_forest, extra_trees, gbdt) from its params in s. The GBDT
// classifier also has SetValidation(X, y) for early stopping; every tree
// classifier has Ensemble() *tree.Ensemble, the fitted trees for TreeSHAP.
func newTree(s Spec, setup Setup) (Classifier, error) {
	cfg := treeConfig(setup)
	switch {
	case s.Family == DecisionTree && s.DecisionTree != nil:
		return tree.NewDecisionTree(*s.DecisionTree, cfg), nil
	case s.Family == RandomForest && s.RandomForest != nil:
		return tree.NewRandomForest(*s.RandomForest, cfg), nil
	case s.Family == ExtraTrees && s.ExtraTrees != nil:
		return tree.NewExtraTrees(*s.ExtraTrees, cfg), nil
	case s.Family == GBDT && s.GBDT != nil:
		return tree.NewGBDT(*s.GBDT, cfg), nil
	}
	return nil, fmt.Errorf("models: %s is not a tree family with params set", s.Family)
}

// ensembler is what fitted and loaded tree classifiers provide.
type ensembler interface {
	Ensemble() *tree.Ensemble
}

// saveTree writes the fitted tree model c into dir: model.txt in
// LightGBM's text format (version v3) and ensemble.json, the tree view.
func saveTree(dir string, s Spec, c Classifier) error {
	e, ok := c.(ensembler)
	if !ok {
		return fmt.Errorf("models: save %s: classifier is a %T, not a tree model", s.Family, c)
	}
	if e.Ensemble() == nil {
		return fmt.Errorf("models: save %s: %w", s.Family, tree.ErrNotFitted)
	}
	if err := tree.Save(dir, e.Ensemble()); err != nil {
		return fmt.Errorf("models: save %s: %w", s.Family, err)
	}
	return nil
}

// loadTree reads what saveTree wrote into dir. The classifier it returns
// scores through github.com/dmitryikh/leaves.
func loadTree(dir string, s Spec, setup Setup) (Classifier, error) {
	sc, err := tree.Load(dir, setup.Workers)
	if err != nil {
		return nil, fmt.Errorf("models: load %s: %w", s.Family, err)
	}
	if got := sc.Classes(); got != setup.Classes {
		return nil, fmt.Errorf("models: load %s from %s: model has %d classes, setup says %d", s.Family, dir, got, setup.Classes)
	}
	return sc, nil
}
