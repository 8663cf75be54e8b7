package models

import (
	"context"
	"fmt"
	"runtime"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/models/tree"
)

// Classifier is a probabilistic classifier over a numeric matrix.
type Classifier interface {
	// Fit learns from the rows of X with class indices y (0..Classes-1) and
	// optional sample weights w (nil means unit weights).
	Fit(ctx context.Context, X *mat.Dense, y []int, w []float64) error
	// PredictProba returns one row of class probabilities per row of X.
	PredictProba(X *mat.Dense) (*mat.Dense, error) // rows = samples, cols = classes
}

// Setup describes the problem a classifier is built for.
type Setup struct {
	Classes     int
	Categorical []bool // per column of X: holds ordinal codes 0..Cardinality[j]-1
	Cardinality []int
	Seed        uint64 // seeds rand.New(rand.NewPCG(Seed, 0)); never the global generator
	Workers     int    // <=0: runtime.NumCPU()
}

// workers returns the number of goroutines a model may use.
func (s Setup) workers() int {
	if s.Workers <= 0 {
		return runtime.NumCPU()
	}
	return s.Workers
}

// validate checks the parts of a Setup every family relies on.
func (s Setup) validate() error {
	if s.Classes < 2 {
		return fmt.Errorf("models: setup: %d classes, need at least 2", s.Classes)
	}
	if len(s.Categorical) != len(s.Cardinality) {
		return fmt.Errorf("models: setup: %d categorical flags but %d cardinalities",
			len(s.Categorical), len(s.Cardinality))
	}
	for j, c := range s.Categorical {
		if c && s.Cardinality[j] < 1 {
			return fmt.Errorf("models: setup: categorical column %d has cardinality %d, need at least 1",
				j, s.Cardinality[j])
		}
	}
	return nil
}

// Family names a model family.
type Family string

// The model families.
const (
	Logistic     Family = "logistic"
	KNN          Family = "knn"
	NaiveBayes   Family = "naive_bayes"
	DecisionTree Family = "decision_tree"
	RandomForest Family = "random_forest"
	ExtraTrees   Family = "extra_trees"
	GBDT         Family = "gbdt"
)

// Families lists every family in a fixed order.
var Families = []Family{Logistic, KNN, NaiveBayes, DecisionTree, RandomForest, ExtraTrees, GBDT}

// Spec is a model family and its hyperparameters: a tagged union in which
// exactly the params field of Family is set.
type Spec struct {
	Family       Family             `json:"family"`
	Logistic     *LogisticParams    `json:"logistic,omitempty"`
	KNN          *KNNParams         `json:"knn,omitempty"`
	NaiveBayes   *NaiveBayesParams  `json:"naive_bayes,omitempty"`
	DecisionTree *tree.TreeParams   `json:"decision_tree,omitempty"`
	RandomForest *tree.ForestParams `json:"random_forest,omitempty"`
	ExtraTrees   *tree.ForestParams `json:"extra_trees,omitempty"`
	GBDT         *tree.GBDTParams   `json:"gbdt,omitempty"`
}

// set reports which params fields are non-nil, by family.
func (s Spec) set() []Family {
	var f []Family
	if s.Logistic != nil {
		f = append(f, Logistic)
	}
	if s.KNN != nil {
		f = append(f, KNN)
	}
	if s.NaiveBayes != nil {
		f = append(f, NaiveBayes)
	}
	if s.DecisionTree != nil {
		f = append(f, DecisionTree)
	}
	if s.RandomForest != nil {
		f = append(f, RandomForest)
	}
	if s.ExtraTrees != nil {
		f = append(f, ExtraTrees)
	}
	if s.GBDT != nil {
		f = append(f, GBDT)
	}
	return f
}

// Validate checks that Family is known, that its params are set and in
// range, and that no other family's params are set.
func (s Spec) Validate() error {
	known := false
	for _, f := range Families {
		known = known || f == s.Family
	}
	if !known {
		return fmt.Errorf("models: unknown family %q (want one of %v)", s.Family, Families)
	}
	set := s.set()
	for _, f := range set {
		if f != s.Family {
			return fmt.Errorf("models: spec of family %s also sets params of %s", s.Family, f)
		}
	}
	if len(set) == 0 {
		return fmt.Errorf("models: spec of family %s has no %s params", s.Family, s.Family)
	}
	var err error
	switch s.Family {
	case Logistic:
		err = s.Logistic.validate()
	case KNN:
		err = s.KNN.validate()
	case NaiveBayes:
		err = s.NaiveBayes.validate()
	case DecisionTree:
		err = validateTree(*s.DecisionTree)
	case RandomForest:
		err = validateForest(*s.RandomForest)
	case ExtraTrees:
		err = validateForest(*s.ExtraTrees)
	case GBDT:
		err = validateGBDT(*s.GBDT)
	}
	if err != nil {
		return fmt.Errorf("models: %s: %w", s.Family, err)
	}
	return nil
}

// New validates s and setup and returns an unfitted classifier.
func (s Spec) New(setup Setup) (Classifier, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := setup.validate(); err != nil {
		return nil, err
	}
	switch s.Family {
	case Logistic:
		return NewLogistic(*s.Logistic, setup), nil
	case KNN:
		return NewKNN(*s.KNN, setup), nil
	case NaiveBayes:
		return NewBayes(*s.NaiveBayes, setup), nil
	}
	return newTree(s, setup)
}

// DefaultSpec returns f with sensible default hyperparameters. It panics on
// an unknown family (a programmer error).
func DefaultSpec(f Family) Spec {
	s := Spec{Family: f}
	switch f {
	case Logistic:
		s.Logistic = &LogisticParams{C: 1, Penalty: "l2", MaxIter: 1000, Tol: 1e-6}
	case KNN:
		s.KNN = &KNNParams{K: 15, Weights: "distance", Metric: "euclidean"}
	case NaiveBayes:
		s.NaiveBayes = &NaiveBayesParams{Kind: "gaussian", VarSmoothing: 1e-9, Alpha: 1}
	case DecisionTree:
		s.DecisionTree = &tree.TreeParams{Criterion: "gini", MinSamplesLeaf: 1, MaxBins: 255}
	case RandomForest:
		s.RandomForest = &tree.ForestParams{Trees: 100, Criterion: "gini", MinSamplesLeaf: 1,
			Bootstrap: true, MaxBins: 255}
	case ExtraTrees:
		s.ExtraTrees = &tree.ForestParams{Trees: 100, Criterion: "gini", MinSamplesLeaf: 1,
			MaxBins: 255}
	case GBDT:
		s.GBDT = &tree.GBDTParams{Rounds: 100, LearningRate: 0.1, NumLeaves: 31, Growth: "leafwise",
			MinDataInLeaf: 20, MinSumHessian: 1e-3, L2: 1, MaxBins: 255, Binning: tree.BinQuantile}
	default:
		panic(fmt.Sprintf("models: DefaultSpec of unknown family %q", f))
	}
	return s
}
