package ensemble

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/goautoml/automl/metrics"
)

// library makes m binary candidates on n rows: each is the truth seen through
// its own noise, so averages of different candidates beat any one.
func library(n, m int, seed uint64) ([]int, []Candidate) {
	r := rand.New(rand.NewPCG(seed, 1))
	y := make([]int, n)
	for i := range y {
		y[i] = r.IntN(2)
	}
	cands := make([]Candidate, m)
	for c := range cands {
		noise := 0.5 + 2*r.Float64()
		p := make([]float64, 2*n)
		for i := range n {
			z := (2*float64(y[i])-1)*0.8 + noise*r.NormFloat64()
			p1 := 1 / (1 + math.Exp(-z))
			p[2*i], p[2*i+1] = 1-p1, p1
		}
		cands[c] = Candidate{ID: 100 + c, Prob: p}
	}
	return y, cands
}

func aucScore(y []int) Score {
	return func(p []float64) float64 {
		s := make([]float64, len(y))
		for i := range y {
			s[i] = p[2*i+1]
		}
		return metrics.ROCAUC(y, s, 1)
	}
}

// reference is ensemble selection written as plainly as possible, for one
// bag over pool: the ensemble is kept as counts and its prediction is
// recomputed from scratch at every step.
func reference(cands []Candidate, pool []int, score Score, init, rounds int) map[int]int {
	mean := func(counts map[int]int) []float64 {
		total := 0
		for _, c := range counts {
			total += c
		}
		out := make([]float64, len(cands[0].Prob))
		for j := range out {
			s := 0.0
			for _, i := range pool { // pool order is increasing: a fixed summation order
				s += float64(counts[i]) * cands[i].Prob[j]
			}
			out[j] = s / float64(total)
		}
		return out
	}
	ranked := slices.Clone(pool)
	slices.SortStableFunc(ranked, func(a, b int) int {
		sa, sb := score(cands[a].Prob), score(cands[b].Prob)
		if sa > sb {
			return -1
		}
		if sa < sb {
			return 1
		}
		return 0
	})
	// the n best, n up to init, whose mean scores best (the first on ties)
	var counts map[int]int
	best := math.Inf(-1)
	for n := 1; n <= min(init, len(ranked)); n++ {
		c := map[int]int{}
		for _, i := range ranked[:n] {
			c[i]++
		}
		if s := score(mean(c)); s > best {
			best, counts = s, c
		}
	}
	bestCounts := clone(counts)
	for range rounds {
		pick, pickScore := -1, math.Inf(-1)
		for _, i := range pool {
			counts[i]++
			if s := score(mean(counts)); s > pickScore {
				pick, pickScore = i, s
			}
			counts[i]--
		}
		counts[pick]++
		if pickScore > best {
			best, bestCounts = pickScore, clone(counts)
		}
	}
	return bestCounts
}

func clone(m map[int]int) map[int]int {
	out := map[int]int{}
	for k, v := range m {
		if v > 0 {
			out[k] = v
		}
	}
	return out
}

func weightsOf(counts map[int]int, m int) []float64 {
	total := 0
	for _, c := range counts {
		total += c
	}
	w := make([]float64, m)
	for i, c := range counts {
		w[i] = float64(c) / float64(total)
	}
	return w
}

func TestSelectMatchesReferenceWithoutBagging(t *testing.T) {
	y, cands := library(400, 12, 3)
	score := aucScore(y)
	got, err := Select(cands, score, Options{Init: 3, Rounds: 25, Bags: 1})
	if err != nil {
		t.Fatal(err)
	}
	pool := make([]int, len(cands))
	for i := range pool {
		pool[i] = i
	}
	want := weightsOf(reference(cands, pool, score, 3, 25), len(cands))
	for i := range want {
		if math.Abs(got.Weights[i]-want[i]) > 1e-15 {
			t.Fatalf("weights %v, reference %v", got.Weights, want)
		}
	}
	if s := score(Blend(cands, want)); math.Abs(got.Score-s) > 1e-12 {
		t.Fatalf("score %v, reference %v", got.Score, s)
	}
	best := math.Inf(-1)
	for _, c := range cands {
		best = max(best, score(c.Prob))
	}
	if got.Score <= best {
		t.Fatalf("ensemble AUC %v does not beat the best single candidate %v on noisy views of one truth", got.Score, best)
	}
	if len(got.Members()) < 2 {
		t.Fatalf("ensemble has members %v, want several", got.Members())
	}
}

func TestSelectBaggedIsSumOfBags(t *testing.T) {
	y, cands := library(300, 10, 5)
	score := aucScore(y)
	opt := Options{Init: 2, Rounds: 10, Bags: 4, BagFraction: 0.5, Seed: 9}
	got, err := Select(cands, score, opt)
	if err != nil {
		t.Fatal(err)
	}
	// The bags, drawn as the documentation says: a PCG(seed, 0x5e1ec7)
	// shuffle of the candidate indices, the first half of it.
	r := rand.New(rand.NewPCG(opt.Seed, 0x5e1ec7))
	total := map[int]int{}
	for range opt.Bags {
		pool := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
		r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
		pool = pool[:5]
		slices.Sort(pool)
		for i, c := range reference(cands, pool, score, opt.Init, opt.Rounds) {
			total[i] += c
		}
	}
	want := weightsOf(total, len(cands))
	for i := range want {
		if math.Abs(got.Weights[i]-want[i]) > 1e-15 {
			t.Fatalf("weights %v, reference %v", got.Weights, want)
		}
	}
	again, _ := Select(cands, score, opt)
	if !slices.Equal(again.Weights, got.Weights) || again.Score != got.Score {
		t.Fatal("the same inputs and seed gave another ensemble")
	}
}

func TestSelectRejectsRagged(t *testing.T) {
	_, err := Select([]Candidate{{ID: 1, Prob: []float64{0.5, 0.5}}, {ID: 2, Prob: []float64{1}}}, func([]float64) float64 { return 0 }, Options{})
	if err == nil {
		t.Fatal("candidates of different lengths were accepted")
	}
}

// TestSelectStartsFromUsefulModels: one good model among noise. Started
// from the five best whatever they are, the blend would carry four
// coin-flippers; the sorted start takes only the best ones whose mean
// helps, so the selection is at least as good as the best model.
func TestSelectStartsFromUsefulModels(t *testing.T) {
	y, cands := library(400, 1, 5)
	r := rand.New(rand.NewPCG(6, 7))
	for c := 0; c < 5; c++ {
		p := make([]float64, 2*len(y))
		for i := range y {
			p1 := r.Float64()
			p[2*i], p[2*i+1] = 1-p1, p1
		}
		cands = append(cands, Candidate{ID: 200 + c, Prob: p})
	}
	score := aucScore(y)
	// unbagged, and bagged: half the bags miss the useful model (with
	// seed 1 their sum scores below it)
	for _, bags := range []int{1, 20} {
		got, err := Select(cands, score, Options{Init: 5, Rounds: 3, Bags: bags, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if single := score(cands[0].Prob); got.Score < single {
			t.Errorf("%d bags: selection scores %.4f, below its best model's %.4f (weights %v)", bags, got.Score, single, got.Weights)
		}
		if got.Weights[0] < 0.5 {
			t.Errorf("%d bags: weights %v, want most on the one useful model", bags, got.Weights)
		}
	}
}
