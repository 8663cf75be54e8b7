package automl

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/ensemble"
	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/store"
)

// EnsembleFamily is the family name of an ensemble trial: a weighted mean
// of earlier trials' (calibrated) probabilities, chosen after the search.
const EnsembleFamily models.Family = "ensemble"

func init() { models.RegisterLabel(EnsembleFamily, "Ensemble") }

// EnsembleSpec is what an ensemble trial is made of: earlier trials, by ID,
// with their weights (summing to 1).
type EnsembleSpec struct {
	Members []EnsembleMember `json:"members"`
	// Candidates is how many trials the selection chose from.
	Candidates int `json:"candidates"`
}

// EnsembleMember is one trial of an ensemble and its weight.
type EnsembleMember struct {
	Trial  int     `json:"trial"`
	Weight float64 `json:"weight"`
}

// Ensemble selection settings: how many trials it chooses from (the best
// by validation score, and the best few of each family for diversity), and
// at most how many held-out rows it scores on while choosing.
const (
	ensembleTop       = 20
	ensemblePerFamily = 2
	ensembleMaxRows   = 5000
	// An ensemble keeps at most ensembleMaxMembers members, each weighing
	// at least ensembleMinWeight.
	ensembleMaxMembers = 8
	ensembleMinWeight  = 0.03
)

// pruneWeights zeroes all but the n largest weights and those under min
// (ties keep the earlier candidate), and renormalises the rest to sum to 1.
func pruneWeights(w []float64, n int, min float64) []float64 {
	idx := make([]int, len(w))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(w[b], w[a]) })
	out := make([]float64, len(w))
	total := 0.0
	for rank, i := range idx {
		if rank < n && w[i] >= min {
			out[i] = w[i]
			total += w[i]
		}
	}
	for i := range out {
		out[i] /= total
	}
	return out
}

// selectOnHeldOut runs the bagged ensemble selection (10 bags of half the
// candidates) on the selection rows sub, scored by score; with held-out
// rows (held, scored by heldScore), also one unbagged pass over every
// candidate, and keeps the one whose blend scores better on the held-out
// rows (the bagged one on a tie).
//
// Bagging guards a large library against the selection's overfitting;
// in a small one with a few strong models, half the bags miss them. On
// covertype at 30 s (15 to 19 candidates, one or two of them boosted
// models), two runs of one seed that differed only in weak late trials
// got blends of 0.434 and 0.448 validation log loss. The held-out rows
// tell which of the two generalises, without trusting the rows either was
// chosen on.
func selectOnHeldOut(sub, held []ensemble.Candidate, score, heldScore ensemble.Score, seed uint64) (ensemble.Result, error) {
	res, err := ensemble.Select(sub, score, ensemble.Options{Bags: 10, Seed: seed})
	if err != nil || len(held) == 0 || len(held[0].Prob) == 0 {
		return res, err
	}
	one, err := ensemble.Select(sub, score, ensemble.Options{Bags: 1, Seed: seed})
	if err != nil {
		return res, nil
	}
	if heldScore(ensemble.Blend(held, one.Weights)) > heldScore(ensemble.Blend(held, res.Weights)) {
		return one, nil
	}
	return res, nil
}

// withinBytes drops from the weights w, largest bundle (size, bytes on
// disk) first, the members that take the sum of their sizes over limit,
// and renormalises the rest. The members are loaded before the ensemble is
// recorded: on bank marketing at 60 s the selection took, at 7 % weight, a
// 300-tree extra-trees forest of 31 MB that the three best trials'
// bundles (what ensembleNeed counts) did not announce; loading it took
// 4.4 s of the 5.4 s left, and the ensemble was abandoned in 2 runs of 3.
func withinBytes(w []float64, size []int64, limit int64) []float64 {
	out := slices.Clone(w)
	var total int64
	for i, v := range out {
		if v > 0 {
			total += size[i]
		}
	}
	for total > limit {
		big := -1
		for i, v := range out {
			if v > 0 && (big < 0 || size[i] > size[big]) {
				big = i
			}
		}
		if big < 0 {
			break
		}
		total -= size[big]
		out[big] = 0
	}
	sum := 0.0
	for _, v := range out {
		sum += v
	}
	for i := range out {
		if sum > 0 {
			out[i] /= sum
		}
	}
	return out
}

// ensembleCandidates are the finished trials an ensemble may use: trials
// (not ensembles) that succeeded and kept both a bundle and their held-out
// predictions, the ensembleTop best by score and the ensemblePerFamily best
// of each family, ordered by trial ID.
func ensembleCandidates(st *Store, trials []Trial, metric string) []Trial {
	var ok []Trial
	for _, t := range trials {
		if t.Status != "ok" || t.Ensemble != nil || !finiteScore(t.Score(metric)) {
			continue
		}
		if _, err := os.Stat(st.Layout.Bundle(t.ID)); err != nil {
			continue
		}
		if _, err := os.Stat(st.Layout.Predictions(t.ID)); err != nil {
			continue
		}
		ok = append(ok, t)
	}
	slices.SortStableFunc(ok, byScore(metric))
	chosen := map[int]bool{}
	perFamily := map[models.Family]int{}
	for i, t := range ok {
		if i < ensembleTop || perFamily[t.Model.Family] < ensemblePerFamily {
			chosen[t.ID] = true
		}
		perFamily[t.Model.Family]++
	}
	var out []Trial
	for _, t := range ok {
		if chosen[t.ID] {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b Trial) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// byScore orders trials best first by metric, then by ID.
func byScore(metric string) func(a, b Trial) int {
	return func(a, b Trial) int {
		switch {
		case better(metric, a.Score(metric), b.Score(metric)):
			return -1
		case better(metric, b.Score(metric), a.Score(metric)):
			return 1
		}
		return cmp.Compare(a.ID, b.ID)
	}
}

func finiteScore(v float64) bool { return v == v && v-v == 0 }

// selectEnsemble runs ensemble selection (Caruana et al. 2004) over the
// candidates' held-out predictions, scored by the experiment's metric on
// the same rows. It returns the members and weights, or nil when fewer than
// two candidates or the selection picked a single trial.
//
// maxBytes, when set, is called after the selection and bounds the members'
// bundles on disk (see withinBytes); nil or a negative value: no bound.
func selectEnsemble(st *Store, d *Data, cands []Trial, seed uint64, bytes map[int]int64, maxBytes func() int64) (*EnsembleSpec, *Predictions, error) {
	if len(cands) < 2 {
		return nil, nil, nil
	}
	var rows []int
	var lib []ensemble.Candidate
	k := len(d.Target.Classes)
	for _, t := range cands {
		p, err := ReadPredictions(st.Layout.Predictions(t.ID))
		if err != nil {
			return nil, nil, fmt.Errorf("trial %d: %w", t.ID, err)
		}
		if rows == nil {
			rows = p.Rows
		} else if !slices.Equal(rows, p.Rows) || p.Classes != k {
			return nil, nil, fmt.Errorf("trial %d: its predictions are on other rows than trial %d's", t.ID, cands[0].ID)
		}
		lib = append(lib, ensemble.Candidate{ID: t.ID, Prob: p.Prob})
	}
	y := d.labels(rows)
	// Choose on at most ensembleMaxRows rows (every step-th), so that the
	// selection's cost does not grow with the data; the other rows, when
	// there are any, judge the choice.
	sub, ySub, subRows := lib, y, rows
	var held []ensemble.Candidate
	var yHeld, heldRows []int
	if step := (len(rows) + ensembleMaxRows - 1) / ensembleMaxRows; step > 1 {
		ySub, subRows = nil, nil
		sub = make([]ensemble.Candidate, len(lib))
		held = make([]ensemble.Candidate, len(lib))
		for i, c := range lib {
			sub[i].ID, held[i].ID = c.ID, c.ID
			for r := range rows {
				p := c.Prob[r*k : (r+1)*k]
				switch {
				case r%step == 0:
					sub[i].Prob = append(sub[i].Prob, p...)
					if i == 0 {
						ySub, subRows = append(ySub, y[r]), append(subRows, rows[r])
					}
				default:
					held[i].Prob = append(held[i].Prob, p...)
					if i == 0 {
						yHeld, heldRows = append(yHeld, y[r]), append(heldRows, rows[r])
					}
				}
			}
		}
	}
	// With cross-validation a trial's validation score is the mean of its
	// folds' scores, and the ensemble is chosen as the best only when its
	// own is higher: the selection maximises that same mean. Pooled over
	// every row, AUC also compares one fold's model's scores with another's,
	// which no deployed model is judged on: on German Credit a blend of
	// 0.818 pooled out-of-fold AUC against 0.812 for its best member was
	// 0.816 against 0.817 fold by fold, and the member was kept.
	pos := d.Target.Positive
	res, err := selectOnHeldOut(sub, held, metricScore(d.Metric, ySub, k, pos, foldGroups(d.Split.Folds, subRows)),
		metricScore(d.Metric, yHeld, k, pos, foldGroups(d.Split.Folds, heldRows)), seed)
	if err != nil {
		return nil, nil, err
	}
	// Keep the weightiest members only (an ensemble is scored and saved
	// member by member): at most ensembleMaxMembers, none under
	// ensembleMinWeight, renormalised.
	w := pruneWeights(res.Weights, ensembleMaxMembers, ensembleMinWeight)
	if maxBytes != nil {
		if limit := maxBytes(); limit >= 0 {
			size := make([]int64, len(cands))
			for i, t := range cands {
				size[i] = bytes[t.ID]
			}
			w = withinBytes(w, size, limit)
		}
	}
	res.Weights = w
	members := res.Members()
	if len(members) < 2 {
		return nil, nil, nil
	}
	spec := &EnsembleSpec{Candidates: len(cands)}
	for _, i := range members {
		spec.Members = append(spec.Members, EnsembleMember{Trial: cands[i].ID, Weight: res.Weights[i]})
	}
	blend := &Predictions{Rows: rows, Classes: k, Prob: ensemble.Blend(lib, res.Weights)}
	return spec, blend, nil
}

// metricScore rates a probability matrix by metric, higher is better (log
// loss and the Brier score negated); an undefined value is NaN, which never
// wins. With groups (positions of the rows, one group a fold) it is the
// mean of the groups' values, as a cross-validated trial's score is.
func metricScore(metric string, y []int, k, pos int, groups [][]int) ensemble.Score {
	one := func(y []int, p []float64) float64 {
		v, ok := metrics.Value(metric, y, mat.NewDense(len(y), k, p), pos)
		if !ok || !finiteScore(v) {
			return nan
		}
		if !metrics.HigherIsBetter(metric) {
			return -v
		}
		return v
	}
	if len(groups) < 2 {
		return func(p []float64) float64 { return one(y, p) }
	}
	ys := make([][]int, len(groups))
	for g, at := range groups {
		for _, i := range at {
			ys[g] = append(ys[g], y[i])
		}
	}
	return func(p []float64) float64 {
		sum := 0.0
		for g, at := range groups {
			q := make([]float64, 0, len(at)*k)
			for _, i := range at {
				q = append(q, p[i*k:(i+1)*k]...)
			}
			sum += one(ys[g], q)
		}
		return sum / float64(len(groups))
	}
}

// foldGroups are the positions in rows of each fold's rows (nil without
// folds): the groups metricScore averages over.
func foldGroups(folds [][]int, rows []int) [][]int {
	if len(folds) < 2 || len(rows) == 0 {
		return nil
	}
	foldOf := make(map[int]int, len(rows))
	for j, fold := range folds {
		for _, r := range fold {
			foldOf[r] = j
		}
	}
	groups := make([][]int, len(folds))
	for i, r := range rows {
		j, ok := foldOf[r]
		if !ok {
			return nil // a row outside the folds: score them pooled
		}
		groups[j] = append(groups[j], i)
	}
	for _, g := range groups {
		if len(g) == 0 {
			return nil
		}
	}
	return groups
}

var nan = func() float64 { z := 0.0; return z / z }()

// The settings of Config.Ensemble.
const (
	EnsembleAuto = "auto" // choose an ensemble after the search
	EnsembleNone = "none" // also "", for now the default
)

// ClosingMargin is the end of a time budget no step of a run may use:
// what the front end does after the run (retention, the leaderboard,
// closing an executor, exiting). 2 % of the budget, between 0.1 s and 2 s
// (at most half of it).
func ClosingMargin(timeout time.Duration) time.Duration {
	return min(timeout/2, max(100*time.Millisecond, min(2*time.Second, timeout/50)))
}

// ensembles reports whether the search ends with the ensemble step. A
// search on samples does not: its trials are fitted on samples, and a blend
// of them lost to the best configuration refit on every training row (test
// AUC 0.808 against 0.811 on 1,000,000 rows), while its share of the budget
// (a tenth, up to 10 s) is a fifth more time for the search.
func (s *search) ensembles() bool {
	return s.cfg.Ensemble == EnsembleAuto && (s.data == nil || s.data.Sampling == nil)
}

// ensembleReserve is the share of a time budget the search leaves for the
// ensemble step: a tenth, within [0.5 s, 10 s].
func ensembleReserve(timeout time.Duration) time.Duration {
	return min(10*time.Second, max(500*time.Millisecond, timeout/10))
}

// Rates of the ensemble step, measured on 2 cores: its members' bundles
// load at about 0.1 s per MB on disk, wall time, loading in parallel
// (covertype, 7,600 rows, 7 classes, 30 s budget: 12 MB in 1.25 s, 38 MB
// in 2.9 s). Selection rates a blend per row (the score's per-row work,
// about the same for log loss and a binary ROC AUC in BenchmarkValue) and
// per probability (the blend's sums), per bag, round and pooled
// candidate: 13 candidates on 3,800 rows × 7 classes took 0.5 s, and on
// bank marketing (5,000 rows × 2 classes, roc_auc) 0.88 s.
const (
	loadSecondsPerByte  = 0.1e-6
	selectSecondsPerRow = 20e-9
	selectSecondsPerP   = 3e-9
	// the likely members: the best few trials with a bundle
	ensembleLikelyMembers = 3
)

// noteBundle records the size of trial id's saved bundle.
func (s *search) noteBundle(id int) {
	var n int64
	filepath.WalkDir(s.st.Layout.Trial(id), func(_ string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			if info, err := e.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	if s.bundleBytes == nil {
		s.bundleBytes = map[int]int64{}
	}
	s.bundleBytes[id] = n
}

// ensembleNeed estimates, with a margin, how long the ensemble step would
// take if the search ended now: selecting over the candidates, loading the
// bundles of the ensembleLikelyMembers best trials, then scoring and
// calibrating the blend. The fixed share (ensembleReserve) is enough for
// most data; on covertype at 30 s it was not (3 s, of which the step got
// 1.9 s, for a step of 2.2 to 3.6 s: the ensemble was abandoned in every
// run). Like the time budget itself, it depends on timing (the trials
// finished so far).
func (s *search) ensembleNeed() time.Duration {
	ok := s.ranked()
	var bytes int64
	for _, t := range ok[:min(len(ok), ensembleLikelyMembers)] {
		bytes += s.bundleBytes[t.ID]
	}
	sel := 0.0
	if s.data != nil && s.data.Split != nil {
		rows := len(s.data.Split.Val)
		if len(s.data.Split.Folds) > 0 {
			rows += len(s.data.Split.Train)
		}
		// 10 bags of 50 rounds over half the candidates, and with rows
		// left over for selectOnHeldOut, one pass over all of them
		cands := min(len(ok), ensembleTop+ensemblePerFamily*4)
		evals := 10 * 50 * (cands + 1) / 2
		if rows > ensembleMaxRows {
			evals += 50 * (cands + 1)
		}
		rows = min(rows, ensembleMaxRows)
		k := len(s.data.Target.Classes)
		perRow := selectSecondsPerRow + selectSecondsPerP*float64(k)
		if k > 2 && (s.cfg.Metric == "roc_auc" || s.cfg.Metric == "pr_auc") {
			// one ranking per class: 6.6 times log loss's rate at 5
			// classes (BenchmarkValue)
			perRow *= 1.3 * float64(k)
		}
		sel = perRow * float64(evals*rows)
	}
	return time.Duration(1.25 * (float64(bytes)*loadSecondsPerByte + sel + 0.2) * float64(time.Second))
}

// ranked is the finished trials with a bundle and a score, best first
// (ensembles aside).
func (s *search) ranked() []Trial {
	var ok []Trial
	for _, t := range s.res.Trials {
		if t.Status == "ok" && t.Ensemble == nil && s.bundleBytes[t.ID] > 0 && finiteScore(t.Score(s.cfg.Metric)) {
			ok = append(ok, t)
		}
	}
	slices.SortStableFunc(ok, byScore(s.cfg.Metric))
	return ok
}

// loadableBytes is how many bytes of bundles the ensemble step can still
// load before its deadline, with the closing writes (0.2 s) and a margin
// of a half (loads measured at 0.1 to 0.14 s per MB); -1 without a time
// budget.
func (s *search) loadableBytes() int64 {
	if s.cfg.Timeout <= 0 {
		return -1
	}
	left := time.Until(s.stepsEnd()).Seconds() - 0.2
	return int64(max(0, left) / (1.5 * loadSecondsPerByte))
}

// stepsEnd is when the ensemble step must be done in a timed run: the end
// of the budget less the finishing step's share.
func (s *search) stepsEnd() time.Time {
	return s.start.Add(s.cfg.Timeout - max(s.opt.Reserve, ClosingMargin(s.cfg.Timeout)))
}

// ensembleGrace is the part of the grace period the search keeps clear of
// the ensemble's share: all of it, up to a twentieth of the budget (a 1 s
// search would otherwise have no time left for a trial).
func (s *search) ensembleGrace() time.Duration {
	return min(s.cfg.Grace, s.cfg.Timeout/20)
}

// ensembleStep chooses an ensemble of the finished trials, and records it
// as one more trial (family "ensemble", the next unused ID) with a bundle
// of the members' models: validation metrics from the blend of the
// members' held-out probabilities (fold by fold with cross-validation,
// as every trial's), calibrated and thresholded on those rows as a trial
// is, and test metrics from the saved bundle itself. The leaderboard ranks
// it with the rest, so it is the experiment's best only when its held-out
// score is. Nothing is recorded when no blend of two or more trials is
// chosen; a failure is logged, never fatal.
func (s *search) ensembleStep() {
	if !s.ensembles() || s.data == nil {
		return
	}
	start := time.Now()
	id := s.next
	// The step works in the background, into a temporary folder: when the
	// budget (its end less the finishing step's share) runs out first, it
	// is abandoned, as fits in flight are: told to stop (it does at its next
	// checkpoint), it removes its folder and nothing of it is recorded. The
	// temporary folder is renamed into place under mu, so an abandoned step
	// never writes a trial's folder. Options.Background counts it until it
	// has stopped writing.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	abandoned := false
	done := make(chan *finished, 1)
	if s.opt.Background != nil {
		s.opt.Background.Add(1)
	}
	go func() {
		if s.opt.Background != nil {
			defer s.opt.Background.Done()
		}
		f, tmp := s.makeEnsemble(ctx, id, start)
		mu.Lock()
		defer mu.Unlock()
		if f != nil && !abandoned {
			dir := s.st.Layout.Trial(id)
			os.RemoveAll(dir) // a killed run's leftovers
			if err := os.Rename(tmp, dir); err != nil {
				s.log.Warn("ensemble not recorded", "err", err)
				f = nil
			}
		}
		if tmp != "" && (f == nil || abandoned) {
			os.RemoveAll(tmp)
		}
		done <- f
	}()
	var late <-chan time.Time
	if s.cfg.Timeout > 0 {
		late = time.After(time.Until(s.stepsEnd()))
	}
	var f *finished
	select {
	case f = <-done:
	case <-late:
		mu.Lock()
		select {
		case f = <-done:
		default:
			abandoned = true
			cancel()
			s.log.Warn("the ensemble step did not finish within the budget: no ensemble recorded")
		}
		mu.Unlock()
	}
	if f == nil {
		return
	}
	f.out.Trial.Timing.WallSeconds = time.Since(start).Seconds()
	f.out.Trial.Timing.OffsetSeconds = time.Since(s.start).Seconds()
	s.next++
	s.commit(*f)
}

// makeEnsemble selects and builds ensemble trial id in a new temporary
// folder under the trials, and returns it with the trial; nil when there
// is none (a failure is logged; a cancelled ctx is not a failure). The
// caller renames the folder into place or removes it.
func (s *search) makeEnsemble(ctx context.Context, id int, start time.Time) (*finished, string) {
	d := s.data
	cands := ensembleCandidates(s.st, s.res.Trials, s.cfg.Metric)
	spec, blend, err := selectEnsemble(s.st, d, cands, s.cfg.Seed, s.bundleBytes, s.loadableBytes)
	if err != nil || spec == nil || ctx.Err() != nil {
		if err != nil {
			s.log.Warn("ensemble selection failed", "err", err)
		}
		return nil, ""
	}
	t := Trial{TrialSpec: TrialSpec{ID: id, Seed: TrialSeed(s.cfg.Seed, id), Model: models.Spec{Family: EnsembleFamily}, Ensemble: spec},
		Timing: Timing{Started: start.UTC()}}
	tmp, err := os.MkdirTemp(s.st.Layout.Trials(), ".ensemble.tmp")
	if err != nil {
		s.log.Warn("ensemble not recorded", "err", err)
		return nil, ""
	}
	if err := s.buildEnsemble(ctx, &t, blend, tmp); err != nil {
		if ctx.Err() == nil {
			s.log.Warn("ensemble not recorded", "err", err)
		}
		return nil, tmp
	}
	if ensembleBuilt != nil {
		ensembleBuilt(ctx, tmp)
	}
	t.Status = "ok"
	return &finished{id: id, out: Outcome{Trial: t, Predictions: blend}}, tmp
}

// ensembleBuilt, when set (by tests), is called once the ensemble's bundle
// is written into its temporary folder: a slow step, seen from the search.
var ensembleBuilt func(ctx context.Context, dir string)

// buildEnsemble writes the ensemble's bundle into dir and fills in its
// metrics; it checks ctx between its phases.
func (s *search) buildEnsemble(ctx context.Context, t *Trial, blend *Predictions, dir string) error {
	d := s.data
	var parts []bundle.Part
	for _, m := range t.Ensemble.Members {
		parts = append(parts, bundle.Part{Dir: s.st.Layout.Trial(m.Trial), Weight: m.Weight})
	}
	b, err := bundle.Combine(dir, parts)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m, err := bundle.Load(dir)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := d.ensembleMetrics(t, blend, m)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b.TrialID, b.Val, b.Test = t.ID, t.Val, t.Test
	b.Calibration = bundle.FromCalibrator(f.Calibration)
	if f.Threshold != nil {
		b.Threshold = &bundle.Threshold{Version: bundle.ThresholdVersion, Value: *f.Threshold, Metric: thresholdMetric(d.Metric)}
	}
	return b.Write(dir)
}

// ensembleMetrics fills in an ensemble trial's metrics from its blend of
// held-out predictions and its bundle m (scored without calibration), and
// calibrates it like any trial.
func (d *Data) ensembleMetrics(t *Trial, blend *Predictions, m *bundle.Model) (*Fitted, error) {
	k, pos := blend.Classes, d.Target.Positive
	// Validation metrics of the blend, as a trial's: the mean over the
	// cross-validation folds, or on the validation rows.
	at := make(map[int]int, len(blend.Rows))
	for i, r := range blend.Rows {
		at[r] = i
	}
	evalRows := func(rows []int) map[string]float64 {
		sub := make([]float64, 0, len(rows)*k)
		for _, r := range rows {
			i := at[r]
			sub = append(sub, blend.Prob[i*k:(i+1)*k]...)
		}
		return finite(metrics.Evaluate(d.labels(rows), mat.NewDense(len(rows), k, sub), pos))
	}
	folds := d.Split.Folds
	if len(folds) > 0 {
		for _, fold := range folds {
			t.Folds = append(t.Folds, evalRows(fold))
		}
		t.Val = meanMetrics(t.Folds)
	} else {
		t.Val = evalRows(blend.Rows)
	}
	// Test metrics from the bundle as saved, without its calibration.
	test := d.Split.Test
	f := &Fitted{Predictions: blend, testRows: test}
	if len(test) > 0 {
		raw := *m
		raw.Calibration, raw.Threshold = nil, nil
		var err error
		if f.testProb, err = raw.PredictRows(d.Frame, test); err != nil {
			return nil, err
		}
		t.Test = finite(metrics.Evaluate(d.labels(test), f.testProb, pos))
	}
	if err := d.calibrateTrial(t, f, folds); err != nil {
		return nil, err
	}
	return f, nil
}

// ReplayEnsemble recomputes ensemble trial t of the experiment in dir from
// what the folder keeps, as the search computed it: the members' held-out
// predictions (their predictions.bin) blended with the recorded weights,
// the blend's validation metrics, calibration and threshold, and the test
// rows scored through the trial's saved bundle. It returns t with the
// metrics so recomputed; the trial notebooks compare them with
// trials.jsonl (each member's own notebook reproduces it from the data).
func ReplayEnsemble(dir string, d *Data, t Trial) (Trial, error) {
	if t.Ensemble == nil || len(t.Ensemble.Members) == 0 {
		return t, fmt.Errorf("automl: trial %d is not an ensemble", t.ID)
	}
	lay := store.At(dir)
	var lib []ensemble.Candidate
	var weights []float64
	var rows []int
	for _, mb := range t.Ensemble.Members {
		p, err := ReadPredictions(lay.Predictions(mb.Trial))
		if err != nil {
			return t, fmt.Errorf("automl: ensemble trial %d: member %d: %w", t.ID, mb.Trial, err)
		}
		if rows != nil && !slices.Equal(rows, p.Rows) {
			return t, fmt.Errorf("automl: ensemble trial %d: member %d's predictions are on other rows", t.ID, mb.Trial)
		}
		rows = p.Rows
		lib = append(lib, ensemble.Candidate{ID: mb.Trial, Prob: p.Prob})
		weights = append(weights, mb.Weight)
	}
	m, err := bundle.Load(lay.Trial(t.ID))
	if err != nil {
		return t, err
	}
	blend := &Predictions{Rows: rows, Classes: len(d.Target.Classes), Prob: ensemble.Blend(lib, weights)}
	out := Trial{TrialSpec: t.TrialSpec, Status: t.Status, Timing: t.Timing}
	if _, err := d.ensembleMetrics(&out, blend, m); err != nil {
		return t, fmt.Errorf("automl: ensemble trial %d: %w", t.ID, err)
	}
	return out, nil
}
