package ensemble

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Candidate is one model's class probabilities on the selection rows:
// len(Prob) = rows × classes, row-major.
type Candidate struct {
	ID   int
	Prob []float64
}

// Score rates a probability matrix (rows × classes, row-major) against the
// labels; higher is better (negate a loss).
type Score func(prob []float64) float64

// Options are the settings of the selection. The zero value of a field takes
// the default in brackets.
type Options struct {
	Init        int     // at most this many best candidates start the ensemble, each once [5]
	Rounds      int     // greedy additions per bag [50]
	Bags        int     // random halves of the library (1 = no bagging) [20]
	BagFraction float64 // share of the library each bag draws [0.5]
	Seed        uint64  // seeds the bags' draws
}

func (o Options) withDefaults() Options {
	if o.Init <= 0 {
		o.Init = 5
	}
	if o.Rounds <= 0 {
		o.Rounds = 50
	}
	if o.Bags <= 0 {
		o.Bags = 20
	}
	if !(o.BagFraction > 0 && o.BagFraction <= 1) {
		o.BagFraction = 0.5
	}
	return o
}

// Result is a selected ensemble: Weights[i] is candidate i's share (they sum
// to 1; most are 0), Score the score of the weighted mean.
type Result struct {
	Weights []float64
	Score   float64
}

// Members are the indices of the candidates with a non-zero weight, in
// increasing order.
func (r Result) Members() []int {
	var m []int
	for i, w := range r.Weights {
		if w > 0 {
			m = append(m, i)
		}
	}
	return m
}

// Select runs ensemble selection over cands (all of the same length) with
// the score function. Each bag draws a share of the candidates (without
// replacement, by the seeded generator), starts from its Init best by
// score, then adds, Rounds times, the candidate (repeats allowed) whose
// addition scores best, keeping the prefix of additions that scored best.
// The bags' selection counts, summed, are the weights. Ties go to the
// candidate listed first, so the result depends only on the inputs.
func Select(cands []Candidate, score Score, opt Options) (Result, error) {
	if len(cands) == 0 {
		return Result{}, errors.New("ensemble: no candidates")
	}
	n := len(cands[0].Prob)
	for _, c := range cands {
		if len(c.Prob) != n || n == 0 {
			return Result{}, fmt.Errorf("ensemble: candidate %d has %d probabilities, candidate 0 has %d", c.ID, len(c.Prob), n)
		}
	}
	opt = opt.withDefaults()
	single := make([]float64, len(cands))
	for i, c := range cands {
		single[i] = finiteOr(score(c.Prob))
	}
	counts := make([]int, len(cands))
	r := rand.New(rand.NewPCG(opt.Seed, 0x5e1ec7))
	for range opt.Bags {
		pool := make([]int, len(cands))
		for i := range pool {
			pool[i] = i
		}
		if opt.Bags > 1 && len(cands) > 1 {
			r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
			k := max(1, int(math.Round(opt.BagFraction*float64(len(cands)))))
			pool = pool[:k]
			slices.Sort(pool)
		}
		for i, c := range selectBag(cands, pool, single, score, opt) {
			counts[i] += c
		}
	}
	res := fromCounts(cands, counts, score)
	// Bags that miss the few strong models of a small library pick among
	// the weak ones, and their sum can score below the best model
	// (covertype at 30 s: 14 trials, two of them good). Then one greedy
	// pass over the whole library, which never scores below its best
	// model, takes their place.
	if opt.Bags > 1 && res.Score < slices.Max(single) {
		all := make([]int, len(cands))
		for i := range all {
			all[i] = i
		}
		clear(counts)
		for i, c := range selectBag(cands, all, single, score, opt) {
			counts[i] += c
		}
		res = fromCounts(cands, counts, score)
	}
	return res, nil
}

// fromCounts is the result of the selection counts.
func fromCounts(cands []Candidate, counts []int, score Score) Result {
	total := 0
	for _, c := range counts {
		total += c
	}
	res := Result{Weights: make([]float64, len(cands))}
	for i, c := range counts {
		res.Weights[i] = float64(c) / float64(total)
	}
	res.Score = score(Blend(cands, res.Weights))
	return res
}

// selectBag is one bag's greedy forward selection over the candidates in
// pool; it returns the selection counts by candidate index.
func selectBag(cands []Candidate, pool []int, single []float64, score Score, opt Options) map[int]int {
	n := len(cands[0].Prob)
	order := slices.Clone(pool)
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case single[a] > single[b]:
			return -1
		case single[a] < single[b]:
			return 1
		}
		return 0
	})
	sum := make([]float64, n) // sum of the chosen candidates' probabilities
	var chosen []int
	add := func(i int) {
		for j, v := range cands[i].Prob {
			sum[j] += v
		}
		chosen = append(chosen, i)
	}
	// Sorted initialisation, as Caruana et al. do it: the n best of the
	// bag, n up to Init chosen by the score of their mean. A fixed n let a
	// small library's weak models in (covertype at 30 s: five of its 14
	// trials were useful, and the blend scored below its best member).
	first, firstScore := 1, math.Inf(-1)
	for k := 1; k <= min(opt.Init, len(order)); k++ {
		for j, v := range cands[order[k-1]].Prob {
			sum[j] += v
		}
		if s := finiteOr(score(scaled(sum, k))); s > firstScore {
			first, firstScore = k, s
		}
	}
	clear(sum)
	for _, i := range order[:first] {
		add(i)
	}
	best, bestLen := finiteOr(score(scaled(sum, len(chosen)))), len(chosen)
	trial := make([]float64, n)
	for range opt.Rounds {
		pick, pickScore := -1, math.Inf(-1)
		m := float64(len(chosen) + 1)
		for _, i := range pool {
			for j, v := range cands[i].Prob {
				trial[j] = (sum[j] + v) / m
			}
			if s := finiteOr(score(trial)); s > pickScore {
				pick, pickScore = i, s
			}
		}
		add(pick)
		if pickScore > best {
			best, bestLen = pickScore, len(chosen)
		}
	}
	counts := map[int]int{}
	for _, i := range chosen[:bestLen] {
		counts[i]++
	}
	return counts
}

// Blend is the weighted mean of the candidates' probabilities.
func Blend(cands []Candidate, weights []float64) []float64 {
	out := make([]float64, len(cands[0].Prob))
	var total float64
	for _, w := range weights {
		total += w
	}
	for i, c := range cands {
		if weights[i] == 0 {
			continue
		}
		w := weights[i] / total
		for j, v := range c.Prob {
			out[j] += w * v
		}
	}
	return out
}

func scaled(sum []float64, k int) []float64 {
	out := make([]float64, len(sum))
	for j, v := range sum {
		out[j] = v / float64(k)
	}
	return out
}

// finiteOr maps an undefined score (NaN) to -Inf so it never wins.
func finiteOr(s float64) float64 {
	if math.IsNaN(s) {
		return math.Inf(-1)
	}
	return s
}
