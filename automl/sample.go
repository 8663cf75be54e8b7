package automl

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/goautoml/automl/dataset"
)

// Settings of Config.Sample.
const (
	SampleAuto = "auto" // search on samples above the size threshold (also "", the default)
	SampleOff  = "off"  // every trial on every training row
)

// The size threshold and the rungs of the search on samples.
const (
	// sampleCells: with at least this many training cells (rows × feature
	// columns), trials run on samples. 2,000,000 is 100,000 rows of 20
	// columns: there one trial of a forest or a boosted model on every row
	// takes tens of seconds on one core, so a budget of minutes would see
	// a handful of trials.
	sampleCells = 2_000_000
	// rungCells is the size of the first rung in cells (at least
	// minRungRows rows): about 10,000 rows of 20 columns.
	rungCells   = 200_000
	minRungRows = 2_000
	maxRungRows = 20_000
)

// sizes are the thresholds in use (tests lower them).
var sizes = struct{ cells, rungCells, minRung, maxRung, score, test int }{sampleCells, rungCells, minRungRows, maxRungRows, scoreRows, testRows}

const (
	// halvingEta is the rate of successive halving: each rung has eta times
	// the rows of the one below, and a configuration moves up when it ranks
	// in the top 1/eta of its rung.
	halvingEta = 3
	// scoreRows caps the validation rows every trial of a sampled search is
	// scored on; testRows the test rows of the trials on samples (their
	// test scores are for information: nothing is chosen by them). Scoring
	// is most of a forest's trial on a sample (300 deep trees fitted on
	// 10,000 rows took 5 s to fit and 10 s to score 70,000 rows); 25,000
	// validation rows still put the standard error of an AUC near 0.8
	// around 0.004, and less on the difference between two trials.
	scoreRows = 25_000
	testRows  = 10_000
	// halvingLag is how many trials the halving may be ahead of the results
	// it promotes from (the adaptive search's lag, which it must not be
	// below: see Halving).
	halvingLag = adaptiveLag
)

// Sampling is how an experiment above the size threshold searches: trials
// are fitted on nested stratified samples of the training rows (the rungs),
// scored on one stratified sample of the validation rows, and the best
// configuration is refit on every training row at the end.
type Sampling struct {
	// Rungs are the training rows of each rung, increasing; the last is
	// below the number of training rows (all of them are the refit's).
	Rungs []int `json:"rungs"`
	Eta   int   `json:"eta"`
	// ValRows is how many validation rows score every trial; TestRows how
	// many test rows score a trial on a sample (the refit on every training
	// row is scored on every test row).
	ValRows  int `json:"val_rows"`
	TestRows int `json:"test_rows"`
	// TrainRows is the number of training rows (the refit's).
	TrainRows int `json:"train_rows"`
}

// planSampling decides whether a search samples: only with a single
// validation split, with Sample not off, and at least sampleCells training
// cells. Nil means every trial uses every row.
func planSampling(cfg Config, sp *dataset.Split, features int) *Sampling {
	if cfg.Sample == SampleOff || len(sp.Folds) > 0 || len(sp.Val) == 0 || features == 0 {
		return nil
	}
	n := len(sp.Train)
	if n*features < sizes.cells {
		return nil
	}
	r0 := min(sizes.maxRung, max(sizes.minRung, sizes.rungCells/features))
	s := &Sampling{Eta: halvingEta, TrainRows: n, ValRows: min(len(sp.Val), sizes.score), TestRows: min(len(sp.Test), sizes.test)}
	for r := r0; r < n; r *= halvingEta {
		s.Rungs = append(s.Rungs, r)
	}
	if len(s.Rungs) < 2 {
		return nil
	}
	return s
}

// rowSamples are an experiment's row samples, fixed by its seed.
type rowSamples struct {
	order []int // the training rows, so that every prefix is a stratified sample
	val   []int // the validation rows that score every trial (increasing)
	test  []int // the test rows that score a trial on a sample (increasing)
}

// Streams of the samples' generator.
const (
	streamTrainSample uint64 = 0x7472616d // "tram"
	streamScoreSample uint64 = 0x73636f72 // "scor"
)

func newSamples(s *Sampling, sp *dataset.Split, classOf []int, seed uint64) *rowSamples {
	return &rowSamples{
		order: stratifiedOrder(sp.Train, classOf, rand.New(rand.NewPCG(seed, streamTrainSample))),
		val:   prefixSorted(stratifiedOrder(sp.Val, classOf, rand.New(rand.NewPCG(seed, streamScoreSample))), s.ValRows),
		test:  prefixSorted(stratifiedOrder(sp.Test, classOf, rand.New(rand.NewPCG(seed, streamScoreSample+1))), s.TestRows),
	}
}

// stratifiedOrder orders rows so that each prefix holds the classes in
// their proportions (to within one row): each class's rows are shuffled,
// then the classes are interleaved, the next row coming from the class
// whose share of the prefix lags its share of the rows the most.
func stratifiedOrder(rows []int, classOf []int, r *rand.Rand) []int {
	byClass := map[int][]int{}
	for _, row := range rows {
		c := classOf[row]
		byClass[c] = append(byClass[c], row)
	}
	classes := slices.Sorted(func(yield func(int) bool) {
		for c := range byClass {
			if !yield(c) {
				return
			}
		}
	})
	for _, c := range classes {
		r.Shuffle(len(byClass[c]), func(i, j int) { byClass[c][i], byClass[c][j] = byClass[c][j], byClass[c][i] })
	}
	taken := make([]int, len(classes))
	out := make([]int, 0, len(rows))
	for len(out) < len(rows) {
		best, bestLag := -1, 0.0
		for k, c := range classes {
			n := len(byClass[c])
			if taken[k] == n {
				continue
			}
			// How far the class is behind its share once this row is added.
			lag := float64(len(out)+1)*float64(n)/float64(len(rows)) - float64(taken[k])
			if best < 0 || lag > bestLag {
				best, bestLag = k, lag
			}
		}
		out = append(out, byClass[classes[best]][taken[best]])
		taken[best]++
	}
	return out
}

func prefixSorted(order []int, n int) []int {
	return slices.Sorted(slices.Values(order[:min(n, len(order))]))
}

// trainRows are the training rows of a trial fitted on n of them (all when
// n is 0 or at least their number): the first n of the stratified order.
func (d *Data) trainRows(n int) []int {
	if d.samples == nil || n <= 0 || n >= len(d.Split.Train) {
		return d.Split.Train
	}
	return prefixSorted(d.samples.order, n)
}

// scoreRows are the validation and test rows of a trial fitted on n
// training rows.
func (d *Data) scoreRows(n int) (val, test []int) {
	if d.samples == nil {
		return d.Split.Val, d.Split.Test
	}
	if n <= 0 || n >= len(d.Split.Train) {
		return d.samples.val, d.Split.Test
	}
	return d.samples.val, d.samples.test
}

// refitReserve is the share of a time budget a sampled search keeps for
// refitting its best configuration on every training row: a quarter,
// within [1 s, 5 min].
func refitReserve(timeout time.Duration) time.Duration {
	return min(5*time.Minute, max(time.Second, timeout/4))
}

// String is the line the CLI prints about a sampled search.
func (s *Sampling) String() string {
	return fmt.Sprintf("search on samples of %v training rows (successive halving, eta %d), each trial scored on %d validation rows; the best refit on all %d (no ensemble of trials fitted on samples)",
		s.Rungs, s.Eta, s.ValRows, s.TrainRows)
}
