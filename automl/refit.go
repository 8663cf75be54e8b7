package automl

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
// end of the budget less the closing margin, plus the grace. It is not
// started when refitAllEstimate says it would not be done by then, and a
// refit the budget cuts is dropped; either way the run says so and best
// stays the searched trial.
func (s *search) refitStep(ctx context.Context) {
	if s.cfg.Refit != RefitAll || s.best == nil || s.data == nil {
		return
	}
	start := time.Now()
	if s.cfg.Timeout > 0 {
		end := s.start.Add(s.cfg.Timeout - ClosingMargin(s.cfg.Timeout) + s.cfg.Grace)
		need, left := refitAllEstimate(refitMembers(*s.best, s.res.Trials), s.data.Split, s.bundleBytes), time.Until(end)
		if need > left {
			s.log.Warn(fmt.Sprintf("the refit of trial %d on every row would take about %.1f s, more than the %.1f s left of the budget: best stays the searched trial (a larger --timeout leaves time for it)",
				s.best.ID, need.Seconds(), max(0, left.Seconds())))
			s.dropRefit()
			return
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadlineCause(ctx, end, ErrBudget)
		defer cancel()
	}
	if err := refitBest(ctx, s.st.Layout, s.data, s.e.Name, *s.best, s.res.Trials, s.cfg.Workers); err != nil {
		if errors.Is(context.Cause(ctx), ErrBudget) {
			s.log.Warn(fmt.Sprintf("the refit of trial %d on every row did not finish within the budget: best stays the searched trial", s.best.ID))
		} else {
			s.log.Warn("refit on every row failed; best stays the searched trial", "trial", s.best.ID, "err", err)
		}
		s.dropRefit()
		return
	}
	s.log.Info("refit on every row", "trial", s.best.ID, "seconds", time.Since(start).Seconds())
}

// dropRefit removes the experiment's "best" folder: an earlier run's refit
// must not stand for this run's best.
func (s *search) dropRefit() {
	os.RemoveAll(filepath.Join(s.st.Layout.Dir, store.BestAlias))
}

// refitNeed estimates, as ensembleNeed does for the ensemble step, how long
// the refit on every row (Config.Refit "all") would take if the search
// ended now: the refit of the best trial or, with the ensemble step to
// come, of the ensembleLikelyMembers best (the members a blend most often
// has). The search ends that much earlier, but never by more than a tenth
// of the budget: a refit estimated longer (adult, 31,000 rows at 30 s: 15 s
// or more for three boosted models) would take the search's time for a
// model trained on a few more rows, so the search does not shorten for it,
// and it runs only if the steps before it leave it the time. 0 when there
// is no refit.
func (s *search) refitNeed() time.Duration {
	if s.cfg.Refit != RefitAll || s.data == nil || s.data.Split == nil {
		return 0
	}
	n := 1
	if s.ensembles() {
		n = ensembleLikelyMembers
	}
	ok := s.ranked()
	if len(ok) == 0 {
		return 0
	}
	need := refitAllEstimate(ok[:min(len(ok), n)], s.data.Split, s.bundleBytes)
	if need > s.cfg.Timeout/10 {
		return 0
	}
	return need
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
	return refitBest(ctx, store.At(dir), d, exp, best, trials, workers)
}

func refitBest(ctx context.Context, lay store.Layout, d *Data, exp string, best Trial, trials []Trial, workers int) error {
	all := slices.Concat(d.Split.Train, d.Split.Val, d.Split.Test)
	tmp, err := os.MkdirTemp(lay.Dir, ".best.tmp")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// The searched bundle: its calibration and threshold are kept.
	searched, err := bundle.Read(lay.Trial(best.ID))
	if err != nil {
		return fmt.Errorf("the searched bundle: %w", err)
	}
	out := filepath.Join(tmp, store.BestAlias)
	if best.Ensemble == nil {
		if err := refitOne(ctx, d, exp, best, all, out, workers); err != nil {
			return err
		}
	} else {
		byID := map[int]Trial{}
		for _, t := range trials {
			byID[t.ID] = t
		}
		var parts []bundle.Part
		for _, m := range best.Ensemble.Members {
			t, ok := byID[m.Trial]
			if !ok {
				return fmt.Errorf("member trial %d is not in the log", m.Trial)
			}
			src := filepath.Join(tmp, "members", fmt.Sprint(m.Trial))
			if err := refitOne(ctx, d, exp, t, all, src, workers); err != nil {
				return fmt.Errorf("member trial %d: %w", m.Trial, err)
			}
			parts = append(parts, bundle.Part{Dir: src, Weight: m.Weight})
		}
		b, err := bundle.Combine(out, parts)
		if err != nil {
			return err
		}
		if err := b.Write(out); err != nil {
			return err
		}
	}
	b, err := bundle.Read(out)
	if err != nil {
		return err
	}
	b.TrialID, b.Val, b.Test, b.Refit = best.ID, best.Val, best.Test, RefitAll
	b.Calibration, b.Threshold = searched.Calibration, searched.Threshold
	if err := b.Write(out); err != nil {
		return err
	}
	// Swap it in: the old "best" (a refit of an earlier run) goes last.
	dst := filepath.Join(lay.Dir, store.BestAlias)
	old := filepath.Join(tmp, "old")
	if err := os.Rename(dst, old); err != nil && !os.IsNotExist(err) {
		return err
	}
	return os.Rename(out, dst)
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
