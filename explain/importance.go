package explain

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/goautoml/automl/preprocess"
)

// Groups returns, for each of the inputs input columns, the matrix columns
// made from it (one-hot parts and date parts go back to their source).
func Groups(feats []preprocess.Feature, inputs int) ([][]int, error) {
	g := make([][]int, inputs)
	for j, f := range feats {
		if f.Source < 0 || f.Source >= inputs {
			return nil, fmt.Errorf("explain: feature %q comes from input %d of %d", f.Name, f.Source, inputs)
		}
		g[f.Source] = append(g[f.Source], j)
	}
	return g, nil
}

// Sum adds the columns of phi (rows × matrix columns) into one column per
// group: SHAP values of matrix columns summed back to input columns.
func Sum(phi *mat.Dense, groups [][]int) *mat.Dense {
	r, _ := phi.Dims()
	if phi.IsEmpty() {
		return &mat.Dense{}
	}
	out := mat.NewDense(r, len(groups), nil)
	for i := range r {
		row, dst := phi.RawRowView(i), out.RawRowView(i)
		for g, cols := range groups {
			s := 0.0
			for _, j := range cols {
				s += row[j]
			}
			dst[g] = s
		}
	}
	return out
}

// MeanAbs is the global importance of each column of phi: the mean
// absolute SHAP value over rows, summed over outputs when there are several
// (one matrix per class).
func MeanAbs(phi []*mat.Dense) []float64 {
	var out []float64
	for _, p := range phi {
		if p.IsEmpty() {
			continue
		}
		r, c := p.Dims()
		if out == nil {
			out = make([]float64, c)
		}
		for i := range r {
			for j, v := range p.RawRowView(i) {
				out[j] += math.Abs(v) / float64(r)
			}
		}
	}
	return out
}

// Scorer rates predictions P of rows labelled y; larger is better.
type Scorer func(y []int, P *mat.Dense) float64

// Permutation holds permutation importances: how much the score drops when
// a column's values are shuffled between rows, per column over repeats.
type Permutation struct {
	Baseline float64   // score on the rows as they are
	Mean     []float64 // mean drop per column (positive: the column helps)
	Std      []float64 // population standard deviation of the drops
}

// PermutationImportance shuffles each group of matrix columns of X (the
// rows move together within a group, as shuffling the input column does)
// repeats times, seeded, and records the drop in score. It checks ctx
// between columns.
func PermutationImportance(ctx context.Context, predict Predictor, X *mat.Dense, y []int, groups [][]int, score Scorer, repeats int, seed uint64) (*Permutation, error) {
	n, _ := X.Dims()
	if n != len(y) {
		return nil, fmt.Errorf("explain: %d rows but %d labels", n, len(y))
	}
	if n < 2 {
		return nil, fmt.Errorf("explain: permutation importance needs at least 2 rows, got %d", n)
	}
	if repeats <= 0 {
		repeats = 5
	}
	P, err := predict(X)
	if err != nil {
		return nil, err
	}
	res := &Permutation{Baseline: score(y, P), Mean: make([]float64, len(groups)), Std: make([]float64, len(groups))}
	work := mat.DenseCopyOf(X)
	drops := make([]float64, repeats)
	for g, cols := range groups {
		if err := ctx.Err(); err != nil {
			return nil, context.Cause(ctx)
		}
		rng := rand.New(rand.NewPCG(seed, uint64(g)))
		for r := range repeats {
			perm := rng.Perm(n)
			for i, src := range perm {
				for _, j := range cols {
					work.Set(i, j, X.At(src, j))
				}
			}
			Pp, err := predict(work)
			if err != nil {
				return nil, err
			}
			drops[r] = res.Baseline - score(y, Pp)
		}
		for i := range n {
			for _, j := range cols {
				work.Set(i, j, X.At(i, j))
			}
		}
		res.Mean[g], res.Std[g] = stat.PopMeanStdDev(drops, nil)
	}
	return res, nil
}
