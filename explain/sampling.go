package explain

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// Predictor scores the rows of X: one row of outputs per row (class
// probabilities for a classifier).
type Predictor func(X *mat.Dense) (*mat.Dense, error)

// MaxBackground is the largest background sample Sampler accepts.
const MaxBackground = 100

// Sampler estimates SHAP values of any model by permutation sampling
// (Štrumbelj and Kononenko 2014) with antithetic pairs: each permutation of
// the groups is walked forwards and backwards. A group of matrix columns
// (the one-hot parts of one input column, say) is switched from background
// values to the explained row's values all at once, so values come out per
// group. Features missing from the coalition take the values of each
// background row in turn (interventional expectation), so features are
// treated as independent.
//
// Every permutation's contributions add up to f(x) - mean f(background)
// exactly, so the estimate is additive whatever the number of samples.
// For a model additive in the groups (a linear model's margin) every
// permutation gives the exact Shapley values.
type Sampler struct {
	// Background holds the reference rows (at most MaxBackground).
	Background *mat.Dense
	// Groups lists the matrix columns of each explained column; nil
	// explains every matrix column alone.
	Groups [][]int
	// Permutations is the number of antithetic pairs per row (0 = 10).
	Permutations int
	// Seed seeds the permutations: row i draws from
	// rand.New(rand.NewPCG(Seed, i)), so results do not depend on Workers.
	Seed uint64
	// Workers is how many rows are explained at once (<= 0: all CPUs).
	Workers int
}

// Background draws at most n rows of X without replacement, seeded, in
// their original order.
func Background(X *mat.Dense, n int, seed uint64) *mat.Dense {
	r, c := X.Dims()
	if n >= r {
		return mat.DenseCopyOf(X)
	}
	rng := rand.New(rand.NewPCG(seed, 0x6267))
	idx := rng.Perm(r)[:n]
	slices.Sort(idx)
	out := mat.NewDense(n, c, nil)
	for i, j := range idx {
		out.SetRow(i, X.RawRowView(j))
	}
	return out
}

func (s *Sampler) groups(cols int) ([][]int, error) {
	if s.Groups == nil {
		g := make([][]int, cols)
		for j := range g {
			g[j] = []int{j}
		}
		return g, nil
	}
	for gi, g := range s.Groups {
		for _, j := range g {
			if j < 0 || j >= cols {
				return nil, fmt.Errorf("explain: group %d names matrix column %d of %d", gi, j, cols)
			}
		}
	}
	return s.Groups, nil
}

// Explain estimates the SHAP values of every output of predict for each
// row of X. It stops early when ctx ends, returning the rows finished so
// far (a prefix of X's rows: Contributions.Raw[k] has their count) and
// ctx's cause.
func (s *Sampler) Explain(ctx context.Context, predict Predictor, X *mat.Dense) (*Contributions, error) {
	if s.Background == nil {
		return nil, fmt.Errorf("explain: no background rows")
	}
	nb, cols := s.Background.Dims()
	n, xc := X.Dims()
	if nb == 0 || nb > MaxBackground {
		return nil, fmt.Errorf("explain: %d background rows, want 1 to %d", nb, MaxBackground)
	}
	if xc != cols {
		return nil, fmt.Errorf("explain: rows have %d columns, background %d", xc, cols)
	}
	groups, err := s.groups(cols)
	if err != nil {
		return nil, err
	}
	pb, err := predict(s.Background)
	if err != nil {
		return nil, err
	}
	_, outs := pb.Dims()
	base := make([]float64, outs)
	for i := range nb {
		for k, v := range pb.RawRowView(i) {
			base[k] += v / float64(nb)
		}
	}
	perms := s.Permutations
	if perms <= 0 {
		perms = 10
	}
	phi := make([]*mat.Dense, outs)
	for k := range phi {
		phi[k] = mat.NewDense(max(n, 1), len(groups), nil)
	}
	raw := make([][]float64, outs)
	for k := range raw {
		raw[k] = make([]float64, n)
	}
	done := make([]bool, n)
	workers := s.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		next     int
	)
	for range max(1, min(workers, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := firstErr != nil || i >= n
				mu.Unlock()
				if stop || ctx.Err() != nil {
					return
				}
				rowPhi, fx, err := s.row(ctx, predict, X.RawRowView(i), groups, base, perms, uint64(i))
				if err != nil && ctx.Err() != nil {
					return // the row was cut short by ctx
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("explain: row %d: %w", i, err)
				}
				if err == nil {
					for k := range outs {
						copy(phi[k].RawRowView(i), rowPhi[k])
						raw[k][i] = fx[k]
					}
					done[i] = true
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	finished := 0
	for finished < n && done[finished] {
		finished++
	}
	c := &Contributions{Base: base, Phi: phi, Raw: raw}
	if finished < n {
		for k := range outs {
			c.Raw[k] = raw[k][:finished]
			if finished == 0 {
				c.Phi[k] = &mat.Dense{}
			} else {
				c.Phi[k] = phi[k].Slice(0, finished, 0, len(groups)).(*mat.Dense)
			}
		}
		return c, context.Cause(ctx)
	}
	return c, nil
}

// row explains one row with perms antithetic permutation pairs.
func (s *Sampler) row(ctx context.Context, predict Predictor, x []float64, groups [][]int, base []float64, perms int, stream uint64) ([][]float64, []float64, error) {
	nb, cols := s.Background.Dims()
	m := len(groups)
	fx, err := predict(mat.NewDense(1, cols, slices.Clone(x)))
	if err != nil {
		return nil, nil, err
	}
	outs := len(base)
	full := fx.RawRowView(0)
	phi := make([][]float64, outs)
	for k := range phi {
		phi[k] = make([]float64, m)
	}
	if m == 0 {
		return phi, full, nil
	}
	rng := rand.New(rand.NewPCG(s.Seed, stream))
	// Coalitions after steps 1..m-1 of a walk, for the forward and the
	// backward walk: 2(m-1) blocks of nb rows, scored at once.
	inner := m - 1
	var batch *mat.Dense
	if inner > 0 {
		batch = mat.NewDense(2*inner*nb, cols, nil)
	}
	order := make([]int, m)
	for range perms {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		for j := range order {
			order[j] = j
		}
		rng.Shuffle(m, func(a, b int) { order[a], order[b] = order[b], order[a] })
		if inner > 0 {
			for dir := range 2 {
				for b := range nb {
					row := make([]float64, cols)
					copy(row, s.Background.RawRowView(b))
					for st := range inner {
						g := order[st]
						if dir == 1 {
							g = order[m-1-st]
						}
						for _, j := range groups[g] {
							row[j] = x[j]
						}
						copy(batch.RawRowView((dir*inner+st)*nb+b), row)
					}
				}
			}
		}
		var pred *mat.Dense
		if inner > 0 {
			if pred, err = predict(batch); err != nil {
				return nil, nil, err
			}
			if r, c := pred.Dims(); r != 2*inner*nb || c != outs {
				return nil, nil, fmt.Errorf("predictor returned %d×%d outputs for %d rows, want %d columns", r, c, 2*inner*nb, outs)
			}
		}
		for dir := range 2 {
			for k := range outs {
				prev := base[k]
				for st := range m {
					g := order[st]
					if dir == 1 {
						g = order[m-1-st]
					}
					v := full[k]
					if st < inner {
						v = 0
						for b := range nb {
							v += pred.At((dir*inner+st)*nb+b, k)
						}
						v /= float64(nb)
					}
					phi[k][g] += v - prev
					prev = v
				}
			}
		}
	}
	for k := range phi {
		for g := range phi[k] {
			phi[k][g] /= float64(2 * perms)
		}
	}
	return phi, full, nil
}

// stratifiedSubset returns the indices, increasing, of a seeded sample of k
// of the len(labels) rows (all of them when k >= len(labels) or k <= 0)
// that holds each class in its share of the rows: each class gets its
// share of k rounded down, the rows left over go to the classes with the
// largest remainders (ties to the smaller class index), and every class
// present keeps at least one row when k allows.
func stratifiedSubset(labels []int, k int, seed uint64) []int {
	n := len(labels)
	if k <= 0 || k >= n {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	classes := 0
	for _, c := range labels {
		classes = max(classes, c+1)
	}
	byClass := make([][]int, classes)
	for i, c := range labels {
		byClass[c] = append(byClass[c], i)
	}
	take := make([]int, classes)
	rem := make([]float64, classes)
	left := k
	for c, rows := range byClass {
		share := float64(len(rows)) * float64(k) / float64(n)
		take[c] = int(share)
		if take[c] == 0 && len(rows) > 0 {
			take[c] = 1
		}
		rem[c] = share - float64(int(share))
		left -= take[c]
	}
	for left > 0 {
		best := -1
		for c := range byClass {
			if take[c] < len(byClass[c]) && (best < 0 || rem[c] > rem[best]) {
				best = c
			}
		}
		take[best]++
		rem[best] = -1
		left--
	}
	for left < 0 { // the one-row minimums overshot: trim the largest classes
		big := 0
		for c := range take {
			if take[c] > take[big] {
				big = c
			}
		}
		take[big]--
		left++
	}
	out := make([]int, 0, k)
	r := rand.New(rand.NewPCG(seed, 0x5ab5e7))
	for c, rows := range byClass {
		r.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		out = append(out, rows[:take[c]]...)
	}
	slices.Sort(out)
	return out
}
