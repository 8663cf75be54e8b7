package tree

import (
	"fmt"

	"github.com/goautoml/automl/models"
)

// This file is what the tree families (models/decisiontree,
// models/randomforest, models/extratrees, models/gbdt) share: package tree
// is their implementation, and each of those packages registers one family
// built on it.

// ConfigOf converts a models.Setup into a Config.
func ConfigOf(s models.Setup) Config {
	return Config{Classes: s.Classes, Categorical: s.Categorical, Cardinality: s.Cardinality,
		Seed: s.Seed, Workers: s.Workers}
}

// ensembler is what fitted and loaded tree classifiers provide.
type ensembler interface {
	Ensemble() *Ensemble
}

// SaveClassifier writes the fitted tree model c of family f into dir:
// model.txt.gz, LightGBM's text format (version v3) gzipped, and
// ensemble-head.json, what the tree view holds beyond that text.
func SaveClassifier(dir string, f models.Family, c models.Classifier) error {
	e, ok := c.(ensembler)
	if !ok {
		return fmt.Errorf("models: save %s: classifier is a %T, not a tree model", f, c)
	}
	if e.Ensemble() == nil {
		return fmt.Errorf("models: save %s: %w", f, ErrNotFitted)
	}
	if err := Save(dir, e.Ensemble()); err != nil {
		return fmt.Errorf("models: save %s: %w", f, err)
	}
	return nil
}

// LoadClassifier reads what SaveClassifier wrote into dir. The classifier
// it returns scores through github.com/dmitryikh/leaves.
func LoadClassifier(dir string, f models.Family, setup models.Setup) (models.Classifier, error) {
	sc, err := Load(dir, setup.Workers)
	if err != nil {
		return nil, fmt.Errorf("models: load %s: %w", f, err)
	}
	if got := sc.Classes(); got != setup.Classes {
		return nil, fmt.Errorf("models: load %s from %s: model has %d classes, setup says %d", f, dir, got, setup.Classes)
	}
	return sc, nil
}

// EncodingDim is the categorical-encoding choice every tree family's space
// has: one-hot columns, or ordinal codes split natively.
var EncodingDim = models.Dim{Name: "encoding", Choices: []string{"onehot", "ordinal"}}

// ForestSpace is the search space of the random_forest (bootstrap) and
// extra_trees families: 20 trees of at most 64 leaves to start, then up
// to 300 trees of up to 1024 leaves.
func ForestSpace(bootstrap bool) models.Space {
	return models.Space{
		Start: []models.Values{models.Vals(map[string]float64{"trees": 20, "max_features": 0, "min_samples_leaf": 1, "max_leaves": 64},
			map[string]string{"criterion": "gini", "encoding": "onehot"})},
		// scikit-learn's forest defaults: 100 fully grown trees, √p
		// features per split; and a larger forest on native categories.
		Portfolio: []models.Values{
			models.Vals(map[string]float64{"trees": 100, "max_features": 0, "min_samples_leaf": 1, "max_leaves": 0},
				map[string]string{"criterion": "gini", "encoding": "onehot"}),
			models.Vals(map[string]float64{"trees": 300, "max_features": 0, "min_samples_leaf": 2, "max_leaves": 0},
				map[string]string{"criterion": "entropy", "encoding": "ordinal"}),
		},
		Dims: []models.Dim{
			{Name: "trees", Lo: 20, Hi: 300, Log: true, Int: true},
			{Name: "criterion", Choices: []string{"gini", "entropy"}},
			{Name: "max_features", Lo: 0.05, Hi: 1},
			{Name: "min_samples_leaf", Lo: 1, Hi: 20, Log: true, Int: true},
			{Name: "max_leaves", Lo: 16, Hi: 1024, Log: true, Int: true},
			EncodingDim,
		},
		Build: func(v models.Values) (models.Params, models.Prep) {
			return &ForestParams{Trees: v.Int("trees"), Criterion: v.Choice["criterion"], MaxFeatures: v.Num["max_features"],
					MinSamplesLeaf: v.Int("min_samples_leaf"), MaxLeaves: v.Int("max_leaves"), Bootstrap: bootstrap,
					MaxBins: 255, CategoricalSplits: v.Choice["encoding"] == "ordinal"},
				models.Prep{Encoding: v.Choice["encoding"]}
		},
	}
}
