package models

import (
	"context"
	"fmt"
	"runtime"

	"gonum.org/v1/gonum/mat"
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

// NumWorkers returns the number of goroutines a model may use.
func (s Setup) NumWorkers() int {
	if s.Workers <= 0 {
		return runtime.NumCPU()
	}
	return s.Workers
}

// Validate checks the parts of a Setup every family relies on.
func (s Setup) Validate() error {
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

// Family names a model family: the name it is registered under and the key
// of its params in a spec's JSON.
type Family string

// Params are a family's hyperparameters: a plain struct (behind a pointer)
// with JSON tags. Validate reports a value that is out of range for any
// data; a family may check more when it fits.
type Params interface {
	Validate() error
}

// BestIterationer is a fitted classifier that chose how many boosting
// rounds to keep (early stopping). BestIteration is 0 when it kept them all
// for lack of a validation set.
type BestIterationer interface {
	BestIteration() int
}

// RoundsKeeper is a fitted boosted classifier that can score with another
// number of rounds than it kept, up to as many as it grew (early stopping
// grows some past the best one). KeepRounds returns the rounds it now uses.
type RoundsKeeper interface {
	KeepRounds(n int) int
}

// ValidationSetter is a classifier that uses validation rows while it fits
// (early stopping). The search hands them over before Fit.
type ValidationSetter interface {
	SetValidation(X *mat.Dense, y []int)
}
