package tree

import (
	"errors"
	"fmt"
	"math"
	"runtime"

	"gonum.org/v1/gonum/mat"
)

// Config describes the problem a model is built for: the fields of
// models.Setup the tree algorithms use (ConfigOf converts one).
type Config struct {
	Classes     int
	Categorical []bool // per column of X: holds ordinal codes 0..Cardinality[j]-1
	Cardinality []int
	Seed        uint64 // seeds rand.New(rand.NewPCG(Seed, stream)); never the global generator
	Workers     int    // <=0: runtime.NumCPU()
}

func (c Config) workers() int {
	if c.Workers <= 0 {
		return runtime.NumCPU()
	}
	return c.Workers
}

// ErrNotFitted is returned when a model is used before Fit.
var ErrNotFitted = errors.New("tree: model is not fitted")

// trainSet is a checked training set.
type trainSet struct {
	X *mat.Dense
	y []int
	w []float64
}

// checkTrain validates X, y and w against cfg and returns unit weights when
// w is nil. NaN cells are allowed (they go to a missing-value bin).
func checkTrain(cfg Config, X *mat.Dense, y []int, w []float64) (trainSet, error) {
	if cfg.Classes < 2 {
		return trainSet{}, fmt.Errorf("tree: %d classes, need at least 2", cfg.Classes)
	}
	if X == nil {
		return trainSet{}, fmt.Errorf("tree: no training matrix")
	}
	n, d := X.Dims()
	if n == 0 || d == 0 {
		return trainSet{}, fmt.Errorf("tree: empty training matrix (%d rows, %d columns)", n, d)
	}
	if len(y) != n {
		return trainSet{}, fmt.Errorf("tree: %d labels for %d training rows", len(y), n)
	}
	if len(cfg.Categorical) != 0 && len(cfg.Categorical) != d {
		return trainSet{}, fmt.Errorf("tree: config describes %d columns, training matrix has %d", len(cfg.Categorical), d)
	}
	if len(cfg.Cardinality) != 0 && len(cfg.Cardinality) != d {
		return trainSet{}, fmt.Errorf("tree: config gives %d cardinalities, training matrix has %d columns", len(cfg.Cardinality), d)
	}
	for i, c := range y {
		if c < 0 || c >= cfg.Classes {
			return trainSet{}, fmt.Errorf("tree: training row %d: class index %d, want 0..%d", i, c, cfg.Classes-1)
		}
	}
	if w == nil {
		w = make([]float64, n)
		for i := range w {
			w[i] = 1
		}
	} else {
		if len(w) != n {
			return trainSet{}, fmt.Errorf("tree: %d sample weights for %d training rows", len(w), n)
		}
		sum := 0.0
		for i, v := range w {
			if !(v >= 0) || math.IsInf(v, 1) {
				return trainSet{}, fmt.Errorf("tree: training row %d: sample weight %v, want a finite value >= 0", i, v)
			}
			sum += v
		}
		if !(sum > 0) {
			return trainSet{}, fmt.Errorf("tree: sample weights sum to %v, want > 0", sum)
		}
	}
	return trainSet{X: X, y: y, w: w}, nil
}

// checkPredict validates a matrix to score against the number of features
// the model was trained on.
func checkPredict(X *mat.Dense, features int) error {
	if X == nil {
		return fmt.Errorf("tree: no matrix to score")
	}
	_, d := X.Dims()
	if d != features {
		return fmt.Errorf("tree: matrix to score has %d columns, model was trained on %d", d, features)
	}
	return nil
}

// maxBinsOf clamps a max_bins setting to 2..255 (0 means 255).
func maxBinsOf(b int) int {
	if b <= 0 || b > 255 {
		return 255
	}
	if b < 2 {
		return 2
	}
	return b
}
