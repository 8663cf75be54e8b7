package automl

import (
	"context"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/gbdt"
	"github.com/goautoml/automl/models/tree"
	"github.com/goautoml/automl/preprocess"
)

// TestFoldsScoredAtRefitRounds: with cross-validation, an early-stopped
// booster's out-of-fold probabilities and fold metrics are those of each
// fold's model at the refit's rounds (the folds' mean best round), as a
// booster fitted here on the fold's rows with exactly that many rounds and
// no early stopping gives them, not those at each fold's own best round.
func TestFoldsScoredAtRefitRounds(t *testing.T) {
	cfg := Config{Data: germanCredit(t), Target: "class", Seed: 4, Calibration: CalibrationNone, RunsDir: t.TempDir(), Name: "r"}
	cfg.Split.CV = 5
	p, err := Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := p.Data
	gp := tree.GBDTParams{Rounds: 400, LearningRate: 0.3, NumLeaves: 15, Growth: "leafwise", MinDataInLeaf: 5,
		MinSumHessian: 1e-3, L2: 1e-3, FeatureFraction: 0.8, BaggingFraction: 0.8, BaggingFreq: 1, MaxBins: 255,
		Binning: tree.BinQuantile, EarlyStoppingRounds: 10}
	pr := p.Base
	pr.NumericImpute, pr.CategoricalImpute, pr.Encoding = "mean", "most_frequent", preprocess.EncodeOneHot
	spec := TrialSpec{ID: 1, Seed: 99, Prep: pr, Model: models.Spec{Family: gbdt.Name, Params: &gp}}
	tr, f, err := RunTrial(context.Background(), d, spec, 1)
	if err != nil || tr.Status != "ok" {
		t.Fatalf("trial: %v %s", err, tr.Error)
	}
	rounds := tr.BestIteration
	sp := d.Split
	nonTest := append(slices.Clone(sp.Train), sp.Val...)
	var own []int // each fold's own best round
	var oofLoss, ownLoss float64
	for k, fold := range sp.Folds {
		train := without(slices.Clone(nonTest), fold)
		pipe, err := pr.Fit(d.Frame, train)
		if err != nil {
			t.Fatal(err)
		}
		xTrain, err := pipe.Transform(d.Frame, train)
		if err != nil {
			t.Fatal(err)
		}
		xVal, err := pipe.Transform(d.Frame, fold)
		if err != nil {
			t.Fatal(err)
		}
		feats := pipe.Features()
		setup := models.Setup{Classes: len(d.Target.Classes), Seed: spec.Seed, Workers: 1,
			Categorical: make([]bool, len(feats)), Cardinality: make([]int, len(feats))}
		for j, ft := range feats {
			setup.Categorical[j], setup.Cardinality[j] = ft.Categorical, ft.Cardinality
		}
		fit := func(q tree.GBDTParams, val bool) *tree.GBDT {
			m := tree.NewGBDT(q, tree.ConfigOf(setup))
			if val {
				m.SetValidation(xVal, d.labels(fold))
			}
			if err := m.Fit(context.Background(), xTrain, d.labels(train), d.weights(train)); err != nil {
				t.Fatal(err)
			}
			return m
		}
		es := fit(gp, true)
		own = append(own, es.BestRound)
		q := gp
		q.Rounds, q.EarlyStoppingRounds = rounds, 0
		want, err := fit(q, false).PredictProba(xVal)
		if err != nil {
			t.Fatal(err)
		}
		ownP, _ := es.PredictProba(xVal)
		got := mat.NewDense(len(fold), len(d.Target.Classes), nil)
		for i, r := range fold {
			at, ok := slices.BinarySearch(f.Predictions.Rows, r)
			if !ok {
				t.Fatalf("fold %d: row %d has no out-of-fold probabilities", k+1, r)
			}
			got.SetRow(i, f.Predictions.Row(at))
		}
		if !mat.EqualApprox(got, want, 1e-12) {
			t.Errorf("fold %d: out-of-fold probabilities are not those of a %d-round fit", k+1, rounds)
		}
		m := metrics.Evaluate(d.labels(fold), want, d.Target.Positive)
		if math.Abs(m["log_loss"]-tr.Folds[k]["log_loss"]) > 1e-12 || math.Abs(m["roc_auc"]-tr.Folds[k]["roc_auc"]) > 1e-12 {
			t.Errorf("fold %d: recorded log loss %v, roc_auc %v; at %d rounds %v, %v", k+1,
				tr.Folds[k]["log_loss"], tr.Folds[k]["roc_auc"], rounds, m["log_loss"], m["roc_auc"])
		}
		oofLoss += m["log_loss"] / float64(len(sp.Folds))
		ownLoss += metrics.Evaluate(d.labels(fold), ownP, d.Target.Positive)["log_loss"] / float64(len(sp.Folds))
	}
	desc, _ := models.Lookup(gbdt.Name)
	_, mean := desc.Refit(&gp, own)
	if mean != rounds || slices.Min(own) == slices.Max(own) {
		t.Fatalf("folds' own best rounds %v (mean %d), trial's rounds %d: the test needs folds that disagree", own, mean, rounds)
	}
	// Scored at its own best round, each fold looked better than it is.
	if !(ownLoss < oofLoss) {
		t.Errorf("mean fold log loss at the folds' own best rounds %.4f, at the refit's %.4f: want the former lower", ownLoss, oofLoss)
	}
	t.Logf("best rounds %v, refit %d: fold log loss %.4f at their own rounds, %.4f at the refit's", own, rounds, ownLoss, oofLoss)
}
