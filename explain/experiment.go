package explain

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/store"
)

// Ranked returns the successful trials from best to worst on metric (ties
// by trial ID).
func Ranked(trials []automl.Trial, metric string) []automl.Trial {
	var ok []automl.Trial
	for _, t := range trials {
		if !math.IsNaN(t.Score(metric)) {
			ok = append(ok, t)
		}
	}
	hib := metrics.HigherIsBetter(metric)
	sort.SliceStable(ok, func(a, b int) bool {
		sa, sb := ok[a].Score(metric), ok[b].Score(metric)
		if sa != sb {
			return (sa > sb) == hib
		}
		return ok[a].ID < ok[b].ID
	})
	return ok
}

// Experiment explains the experiment in dir after its search: the
// experiment's plots (best score over time, score by family) in
// <dir>/explain/, then the explanations of its top trials, best first
// (the experiment's recorded best, then the next best by validation
// score), top in all; top 0 makes only the experiment's plots.
//
// It runs within opt.Timeout (and ctx): when the bound is reached, the
// trial in progress keeps what was finished and the rest are skipped,
// which is not an error. The reports list the trials explained. A trial
// that cannot be explained does not stop the others; the errors are
// returned joined.
func Experiment(ctx context.Context, dir string, top int, opt Options) ([]*Report, error) {
	opt = opt.withDefaults()
	if opt.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, opt.Timeout, ErrTimeout)
		defer cancel()
	}
	e, trials, err := automl.ReadExperiment(dir)
	if err != nil {
		return nil, err
	}
	if err := ExperimentPlots(dir, trials, e.Config.Metric, opt.Plots); err != nil {
		return nil, err
	}
	if top <= 0 {
		return nil, nil
	}
	order := Top(e, trials, top)
	if len(order) == 0 {
		return nil, nil
	}
	if ctx.Err() != nil {
		return nil, nil // the bound came before any trial: none explained, not an error
	}
	s, err := open(dir, opt)
	if err != nil {
		return nil, err
	}
	var reports []*Report
	var errs []error
	for _, t := range order {
		if ctx.Err() != nil {
			opt.Logger.Warn("explanation time bound reached", "skipped_from_trial", t.ID)
			break
		}
		r, err := s.explain(ctx, t, opt)
		if err != nil {
			if ctx.Err() != nil {
				break // the bound ended a refit or a prediction: not a failure of the trial
			}
			errs = append(errs, err)
			continue
		}
		reports = append(reports, r)
	}
	return reports, errors.Join(errs...)
}

// Top returns the k trials Experiment explains, in its order: the
// experiment's recorded best, then the next best by validation score.
func Top(e *automl.Experiment, trials []automl.Trial, k int) []automl.Trial {
	order := Ranked(trials, e.Config.Metric)
	if e.Best != nil {
		for i, t := range order {
			if t.ID == *e.Best {
				order = append(append([]automl.Trial{t}, order[:i]...), order[i+1:]...)
				break
			}
		}
	}
	return order[:min(max(k, 0), len(order))]
}

// ExperimentPlots draws the best validation score over time and the
// scores by model family into <dir>/explain/, in the formats f.
func ExperimentPlots(dir string, trials []automl.Trial, metric string, f Plots) error {
	out := store.At(dir).ExperimentExplain()
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	p, err := ScoreOverTime(trials, metric)
	if err != nil {
		return fmt.Errorf("plot score over time: %w", err)
	}
	if _, err := Save(p, Size+Size/3, Size, out, "score_over_time", f); err != nil {
		return err
	}
	p, err = ScoreByFamily(trials, metric)
	if err != nil {
		return fmt.Errorf("plot score by family: %w", err)
	}
	_, err = Save(p, Size+Size/3, Size, out, "score_by_family", f)
	return err
}
