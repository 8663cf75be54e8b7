package automl

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/ensemble"
	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/models"
)

// EnsembleFamily is the family name of an ensemble trial: a weighted mean
// of earlier trials' (calibrated) probabilities, chosen after the search.
const EnsembleFamily models.Family = "ensemble"

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
)

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
	slices.SortStableFunc(ok, func(a, b Trial) int {
		switch {
		case better(metric, a.Score(metric), b.Score(metric)):
			return -1
		case better(metric, b.Score(metric), a.Score(metric)):
			return 1
		}
		return cmp.Compare(a.ID, b.ID)
	})
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

func finiteScore(v float64) bool { return v == v && v-v == 0 }

// selectEnsemble runs ensemble selection (Caruana et al. 2004) over the
// candidates' held-out predictions, scored by the experiment's metric on
// the same rows. It returns the members and weights, or nil when fewer than
// two candidates or the selection picked a single trial.
func selectEnsemble(st *Store, d *Data, cands []Trial, seed uint64) (*EnsembleSpec, *Predictions, error) {
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
	// selection's cost does not grow with the data.
	sub := lib
	ySub := y
	if step := (len(rows) + ensembleMaxRows - 1) / ensembleMaxRows; step > 1 {
		ySub = nil
		sub = make([]ensemble.Candidate, len(lib))
		for i, c := range lib {
			sub[i].ID = c.ID
			for r := 0; r < len(rows); r += step {
				sub[i].Prob = append(sub[i].Prob, c.Prob[r*k:(r+1)*k]...)
				if i == 0 {
					ySub = append(ySub, y[r])
				}
			}
		}
	}
	res, err := ensemble.Select(sub, metricScore(d.Metric, ySub, k, d.Target.Positive), ensemble.Options{Seed: seed})
	if err != nil {
		return nil, nil, err
	}
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
// loss negated); an undefined value is NaN, which never wins.
func metricScore(metric string, y []int, k, pos int) ensemble.Score {
	return func(p []float64) float64 {
		if metric == "roc_auc" && k == 2 {
			s := make([]float64, len(y))
			for i := range y {
				s[i] = p[i*k+pos]
			}
			return metrics.ROCAUC(y, s, pos)
		}
		P := mat.NewDense(len(y), k, p)
		if metric == "log_loss" {
			return -metrics.LogLoss(y, P)
		}
		v, ok := metrics.Evaluate(y, P, pos)[metric]
		if !ok {
			return nan
		}
		return v
	}
}

var nan = func() float64 { z := 0.0; return z / z }()

var errNoEnsemble = errors.New("no ensemble beats its members")
