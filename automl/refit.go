package automl

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/store"
)

// Settings of Config.Refit.
const (
	RefitNone = "none" // the best trial's bundle is what `best` scores with (also "")
	RefitAll  = "all"  // after the search, refit the best trial on every row
)

// refitStep refits the experiment's best trial (each member, for an
// ensemble) on every row with a target, test rows included, once its test
// score is recorded, and writes the result as the bundle in the
// experiment's "best" folder: what `automl predict --model <exp>/best`,
// serve and the exports then use. The trial's calibration and decision
// threshold are kept (they were fitted on held-out predictions, which a
// model trained on every row no longer has). A failure is logged and
// leaves the trial's own bundle as the best.
//
// In a timed run the refit is part of the budget: like the refit of a
// search on samples, it may run into the finishing step's share (the model
// a person deploys matters more than explanations) and must be done by the
// end of the budget less the closing margin, plus the grace. An ensemble's
// members are refit heaviest first, those refitAllEstimate says would be
// done by then (refitPlan); a member left out, or one the budget cuts,
// keeps its searched fit (fitted on fewer rows, scored the same way), so
// the budget's end costs the lightest members' refits rather than all of
// them, and the run says which. A single trial, or an ensemble none of
// whose members would be done in time, is not refit: the run says so and
// best stays the searched trial.
func (s *search) refitStep(ctx context.Context) {
	if s.cfg.Refit != RefitAll || s.best == nil || s.data == nil {
		return
	}
	start := time.Now()
	var plan []int // nil: every member
	if s.cfg.Timeout > 0 {
		end := s.start.Add(s.cfg.Timeout - ClosingMargin(s.cfg.Timeout) + s.cfg.Grace)
		left := time.Until(end)
		var need time.Duration
		plan, need = refitPlan(*s.best, s.res.Trials, s.data.Split, s.bundleBytes, left)
		if len(plan) == 0 {
			s.log.Warn(fmt.Sprintf("the refit of trial %d on every row would take about %.1f s, more than the %.1f s left of the budget: best stays the searched trial (a larger --timeout leaves time for it)",
				s.best.ID, need.Seconds(), max(0, left.Seconds())))
			s.dropRefit()
			return
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadlineCause(ctx, end, ErrBudget)
		defer cancel()
	}
	kept, err := refitBest(ctx, s.st.Layout, s.data, s.e.Name, *s.best, s.res.Trials, s.cfg.Workers, plan)
	if err != nil {
		if errors.Is(context.Cause(ctx), ErrBudget) {
			s.log.Warn(fmt.Sprintf("the refit of trial %d on every row did not finish within the budget: best stays the searched trial", s.best.ID))
		} else {
			s.log.Warn("refit on every row failed; best stays the searched trial", "trial", s.best.ID, "err", err)
		}
		s.dropRefit()
		return
	}
	if len(kept) > 0 {
		who := "trials " + joinInts(kept) + " keep their"
		if len(kept) == 1 {
			who = "trial " + joinInts(kept) + " keeps its"
		}
		s.log.Warn(fmt.Sprintf("the refit on every row covered %d of the %d members of ensemble trial %d (%.0f %% of its weight); %s searched fit: the budget ended first (a larger --timeout leaves time for it)",
			len(s.best.Ensemble.Members)-len(kept), len(s.best.Ensemble.Members), s.best.ID, 100*(1-weightOf(*s.best, kept)), who))
	}
	s.log.Info("refit on every row", "trial", s.best.ID, "seconds", time.Since(start).Seconds())
}

// refitPlan is which members of best (trial IDs) a refit on every row
// that must be done within left refits, and the estimated time of the
// whole refit: for a single trial, the trial if it fits in left, else
// nothing; for an ensemble, its members heaviest first (ties: the order
// of the ensemble), each one whose refit (refitAllEstimate, its share of
// the closing write included once) still fits in what the ones before it
// leave. A member too slow is passed over for lighter ones after it.
func refitPlan(best Trial, trials []Trial, split *dataset.Split, bytes map[int]int64, left time.Duration) ([]int, time.Duration) {
	members := refitMembers(best, trials)
	need := refitAllEstimate(members, split, bytes)
	if best.Ensemble == nil {
		if need > left {
			return nil, need
		}
		return []int{best.ID}, need
	}
	order := make([]int, len(members))
	for i := range order {
		order[i] = i
	}
	w := best.Ensemble.Members
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(w[b].Weight, w[a].Weight) })
	var plan []int
	write := refitAllEstimate(nil, split, bytes) // the combined bundle's write
	used := write
	for _, i := range order {
		one := refitAllEstimate(members[i:i+1], split, bytes) - write
		if used+one <= left {
			used += one
			plan = append(plan, members[i].ID)
		}
	}
	return plan, need
}

// weightOf is the share of ensemble best's weight that trials ids carry.
func weightOf(best Trial, ids []int) float64 {
	var w, all float64
	for _, m := range best.Ensemble.Members {
		all += m.Weight
		if slices.Contains(ids, m.Trial) {
			w += m.Weight
		}
	}
	return w / all
}

// joinInts writes ids as "3, 8 and 12".
func joinInts(ids []int) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Itoa(id)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// dropRefit removes the experiment's "best" folder: an earlier run's refit
// must not stand for this run's best.
func (s *search) dropRefit() {
	os.RemoveAll(filepath.Join(s.st.Layout.Dir, store.BestAlias))
}

// refitNeed estimates, as ensembleNeed does for the ensemble step, how long
// the refit on every row (Config.Refit "all") would take if the search
// ended now: the refit of the best trial or, with the ensemble step to
// come, of the ensembleMaxMembers best (the benchmark's blends of small
// data have 7 or 8 members; counting 3 left car evaluation at 30 s 2.5 s
// for a refit of 2.9 s, and best stayed the searched trial). The search
// ends that much earlier, but never by more than a tenth of the budget:
// on large data (adult, 31,000 rows at 30 s: 15 s or more for a blend of
// boosted models) the search keeps most of its time, and the tenth goes
// to the refit of the blend's heaviest members (refitPlan). 0 when there
// is no refit, or when the best trial's refit alone is more than that
// tenth (it would not be done in time, and a single trial is refit whole
// or not at all).
func (s *search) refitNeed() time.Duration {
	if s.cfg.Refit != RefitAll || s.data == nil || s.data.Split == nil {
		return 0
	}
	n := 1
	if s.ensembles() {
		n = ensembleMaxMembers
	}
	ok := s.ranked()
	if len(ok) == 0 {
		return 0
	}
	limit := s.cfg.Timeout / 10
	if refitAllEstimate(ok[:1], s.data.Split, s.bundleBytes) > limit {
		return 0 // not even the best trial's refit would fit in it
	}
	return min(refitAllEstimate(ok[:min(len(ok), n)], s.data.Split, s.bundleBytes), limit)
}

// refitMembers is the trials the refit of best fits: best itself, or the
// members of an ensemble.
func refitMembers(best Trial, trials []Trial) []Trial {
	if best.Ensemble == nil {
		return []Trial{best}
	}
	byID := map[int]Trial{}
	for _, t := range trials {
		byID[t.ID] = t
	}
	var out []Trial
	for _, m := range best.Ensemble.Members {
		out = append(out, byID[m.Trial])
	}
	return out
}

// refitAllEstimate guesses how long the refit of members (one after the
// other) on every row of split takes: each trial's wall time per fit (with
// cross-validation it fitted once per fold and once more on the non-test
// rows; its scoring and calibration included, which the refit does not all
// repeat), times the ratio of every row to the rows that fit saw, a
// quarter more for safety; plus the write of its bundle (bytes: the size
// of the trial's bundle on disk; a forest's is written about as fast as it
// is loaded, 45 MB of tree text in 1.5 s either way) and the combined
// bundle's (0.2 s).
func refitAllEstimate(members []Trial, split *dataset.Split, bytes map[int]int64) time.Duration {
	all := len(split.Train) + len(split.Val) + len(split.Test)
	seen, fits := len(split.Train), 1
	if len(split.Folds) > 0 {
		seen, fits = len(split.Train)+len(split.Val), len(split.Folds)+1
	}
	sec := 0.2
	for _, t := range members {
		rows := seen
		if t.Rows > 0 {
			rows = t.Rows
		}
		sec += 1.25*t.Timing.WallSeconds/float64(fits)*float64(all)/float64(max(1, rows)) +
			loadSecondsPerByte*float64(bytes[t.ID])
	}
	return time.Duration(sec * float64(time.Second))
}

// RefitBest is the refit step of Config.Refit "all" for a finished
// experiment: it refits trial best of the experiment in dir (d its
// prepared data, trials its finished trials) on every row and writes the
// bundle into the folder's "best".
func RefitBest(ctx context.Context, dir string, d *Data, exp string, best Trial, trials []Trial, workers int) error {
	_, err := refitBest(ctx, store.At(dir), d, exp, best, trials, workers, nil)
	return err
}

// refitBest refits best on every row into lay's "best" folder. For an
// ensemble, plan (nil: every member) is the members to refit, in that
// order; the others, and any left when ctx ends with ErrBudget, keep
// their searched bundles, and kept lists them (trial IDs, in the
// ensemble's order). Without a member refit, or for a single trial cut
// by ctx, it fails.
func refitBest(ctx context.Context, lay store.Layout, d *Data, exp string, best Trial, trials []Trial, workers int, plan []int) (kept []int, err error) {
	all := slices.Concat(d.Split.Train, d.Split.Val, d.Split.Test)
	tmp, err := os.MkdirTemp(lay.Dir, ".best.tmp")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	// The searched bundle: its calibration and threshold are kept.
	searched, err := bundle.Read(lay.Trial(best.ID))
	if err != nil {
		return nil, fmt.Errorf("the searched bundle: %w", err)
	}
	out := filepath.Join(tmp, store.BestAlias)
	if best.Ensemble == nil {
		if err := refitOne(ctx, d, exp, best, all, out, workers); err != nil {
			return nil, err
		}
	} else {
		byID := map[int]Trial{}
		for _, t := range trials {
			byID[t.ID] = t
		}
		if plan == nil {
			for _, m := range best.Ensemble.Members {
				plan = append(plan, m.Trial)
			}
		}
		done := map[int]string{} // member trial -> its refit bundle
		for _, id := range plan {
			t, ok := byID[id]
			if !ok {
				return nil, fmt.Errorf("member trial %d is not in the log", id)
			}
			src := filepath.Join(tmp, "members", fmt.Sprint(id))
			if err := refitOne(ctx, d, exp, t, all, src, workers); err != nil {
				if errors.Is(context.Cause(ctx), ErrBudget) && len(done) > 0 {
					break // the rest keep their searched fit
				}
				return nil, fmt.Errorf("member trial %d: %w", id, err)
			}
			done[id] = src
		}
		var parts []bundle.Part
		for _, m := range best.Ensemble.Members {
			src, ok := done[m.Trial]
			if !ok {
				src = lay.Trial(m.Trial)
				kept = append(kept, m.Trial)
			}
			parts = append(parts, bundle.Part{Dir: src, Weight: m.Weight})
		}
		b, err := bundle.Combine(out, parts)
		if err != nil {
			return nil, err
		}
		if err := b.Write(out); err != nil {
			return nil, err
		}
	}
	b, err := bundle.Read(out)
	if err != nil {
		return nil, err
	}
	b.TrialID, b.Val, b.Test, b.Refit, b.NotRefit = best.ID, best.Val, best.Test, RefitAll, kept
	b.Calibration, b.Threshold = searched.Calibration, searched.Threshold
	if err := b.Write(out); err != nil {
		return nil, err
	}
	// Swap it in: the old "best" (a refit of an earlier run) goes last.
	dst := filepath.Join(lay.Dir, store.BestAlias)
	old := filepath.Join(tmp, "old")
	if err := os.Rename(dst, old); err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	return kept, os.Rename(out, dst)
}

// refitOne fits trial t's pipeline and model on rows and saves the bundle
// (no calibration) into dir. A boosted model that kept fewer rounds than
// it was given by early stopping is refit with the rounds it kept.
func refitOne(ctx context.Context, d *Data, exp string, t Trial, rows []int, dir string, workers int) error {
	spec := t.Model
	if desc, ok := models.Lookup(spec.Family); ok && desc.Refit != nil && t.BestIteration > 0 {
		spec.Params, _ = desc.Refit(spec.Params, []int{t.BestIteration})
	}
	tt := t
	f, _, _, err := fitEval(ctx, d, &tt, spec, refitFold, rows, nil, nil, workers)
	if err != nil {
		return err
	}
	f.Calibration, f.Threshold = nil, nil
	return SaveBundle(dir, d, exp, t, f)
}

// refitFold keys the pipeline cache for fits on every row.
const refitFold = -2
