package automl

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/goautoml/automl/bundle"
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
func (s *search) refitStep(ctx context.Context) {
	if s.cfg.Refit != RefitAll || s.best == nil {
		return
	}
	start := time.Now()
	if err := refitBest(ctx, s.st.Layout, s.data, s.e.Name, *s.best, s.res.Trials, s.cfg.Workers); err != nil {
		s.log.Warn("refit on every row failed; best stays the searched trial", "trial", s.best.ID, "err", err)
		// An earlier run's refit must not stand for this run's best.
		os.RemoveAll(filepath.Join(s.st.Layout.Dir, store.BestAlias))
		return
	}
	s.log.Info("refit on every row", "trial", s.best.ID, "seconds", time.Since(start).Seconds())
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
