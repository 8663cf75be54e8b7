package notebookgen

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/store"
)

// File names inside an experiment folder.
const (
	ExplorationFile = store.ExplorationFile // runs/<exp>/exploration.ipynb
	TrialFile       = store.NotebookFile    // runs/<exp>/trials/<id>/notebook.ipynb
)

// Which trials WriteExperiment writes notebooks for.
const (
	All  = "all"  // every successful trial
	Top  = "top"  // the TopN best successful trials
	None = "none" // none (the exploration notebook neither)
)

// TopN is how many trials "top" covers.
const TopN = 10

// TrialPath is where trial id's notebook lives in experiment folder dir.
func TrialPath(dir string, id int) string {
	return store.At(dir).Notebook(id)
}

// WriteTrial writes the notebook of trial id of the experiment in dir and
// returns its path.
func WriteTrial(dir string, id int, o Options) (string, error) {
	st, err := automl.OpenStore(dir)
	if err != nil {
		return "", err
	}
	e, err := st.Experiment()
	if err != nil {
		return "", err
	}
	trials, err := st.Trials()
	if err != nil {
		return "", err
	}
	for _, t := range trials {
		if t.ID == id {
			return writeTrial(dir, e, t, o)
		}
	}
	return "", fmt.Errorf("%s has no trial %d", dir, id)
}

func writeTrial(dir string, e *automl.Experiment, t automl.Trial, o Options) (string, error) {
	if o.StoreDir == "" {
		o.StoreDir = dir
	}
	nb, err := Trial(e, t, o)
	if err != nil {
		return "", err
	}
	data, err := nb.Marshal()
	if err != nil {
		return "", err
	}
	path := store.At(dir).Notebook(t.ID)
	return path, store.WriteFile(path, data)
}

// WriteExperiment writes the exploration notebook and the notebooks of the
// trials mode selects (All, Top or None) for the experiment in dir, best
// trial first, and returns the paths written. When ctx ends, it stops
// between two notebooks and returns what was written with ctx's cause.
func WriteExperiment(ctx context.Context, dir, mode string, o Options) ([]string, error) {
	switch mode {
	case None:
		return nil, nil
	case All, Top:
	default:
		return nil, fmt.Errorf("notebooks %q: want all, top or none", mode)
	}
	e, trials, err := automl.ReadExperiment(dir)
	if err != nil {
		return nil, err
	}
	return writeExperiment(ctx, dir, e, trials, mode, o)
}

// Select returns the trials mode writes notebooks for, best first.
func Select(trials []automl.Trial, metric, mode string) []automl.Trial {
	if mode != All && mode != Top {
		return nil
	}
	var ok []automl.Trial
	for _, t := range trials {
		if t.Status == "ok" {
			ok = append(ok, t)
		}
	}
	ok = Ranked(ok, metric)
	if mode == Top {
		ok = ok[:min(TopN, len(ok))]
	}
	return ok
}

func writeExperiment(ctx context.Context, dir string, e *automl.Experiment, trials []automl.Trial, mode string, o Options) ([]string, error) {
	if o.StoreDir == "" {
		o.StoreDir = dir
	}
	nb, err := Exploration(e, o)
	if err != nil {
		return nil, err
	}
	data, err := nb.Marshal()
	if err != nil {
		return nil, err
	}
	path := store.At(dir).ExplorationNotebook()
	if err := store.WriteFile(path, data); err != nil {
		return nil, err
	}
	paths := []string{path}
	for _, t := range Select(trials, e.Config.Metric, mode) {
		if ctx.Err() != nil {
			return paths, context.Cause(ctx)
		}
		p, err := writeTrial(dir, e, t, o)
		if err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// Ranked returns the trials best first by their validation metric (ties by ID).
func Ranked(trials []automl.Trial, metric string) []automl.Trial {
	out := append([]automl.Trial(nil), trials...)
	hi := metrics.HigherIsBetter(metric)
	key := func(t automl.Trial) float64 {
		s := t.Score(metric)
		switch {
		case math.IsNaN(s):
			return math.Inf(-1)
		case hi:
			return s
		}
		return -s
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := key(out[i]), key(out[j])
		if a != b {
			return a > b
		}
		return out[i].ID < out[j].ID
	})
	return out
}
