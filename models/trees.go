package models

import "fmt"

// newTree builds an unfitted classifier of a tree family (decision_tree,
// random_forest, extra_trees, gbdt) from its params in s.
func newTree(s Spec, setup Setup) (Classifier, error) {
	return nil, fmt.Errorf("models: %s: tree families are not built yet", s.Family)
}

// saveTree writes the fitted tree model c into dir.
func saveTree(dir string, s Spec, c Classifier) error {
	return fmt.Errorf("models: %s: tree families are not built yet", s.Family)
}

// loadTree reads what saveTree wrote into dir.
func loadTree(dir string, s Spec, setup Setup) (Classifier, error) {
	return nil, fmt.Errorf("models: %s: tree families are not built yet", s.Family)
}
