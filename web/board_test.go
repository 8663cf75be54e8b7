package web

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/models/tree"
)

// TestRankingMatchesLeaderboard checks the page's index ranking against
// automl.Leaderboard on trials with ties, failures and both directions.
func TestRankingMatchesLeaderboard(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var ts []automl.Trial
	for id := range 300 {
		tr := automl.Trial{Status: "ok", Val: map[string]float64{"roc_auc": float64(r.IntN(20)) / 20, "log_loss": float64(r.IntN(20)) / 7}}
		tr.ID = (id * 7) % 300 // not in ID order
		switch id % 13 {
		case 3:
			tr.Status, tr.Val = "failed", nil
		case 5:
			tr.Val["roc_auc"], tr.Val["log_loss"] = math.NaN(), math.Inf(1)
		}
		ts = append(ts, tr)
	}
	for _, m := range []string{"roc_auc", "log_loss"} {
		want := automl.Leaderboard(ts, m)
		got := ranking(ts, m)
		for j := range want {
			if ts[got[j]].ID != want[j].ID {
				t.Fatalf("%s: position %d is trial %d, automl.Leaderboard has %d", m, j, ts[got[j]].ID, want[j].ID)
			}
		}
	}
}

// TestRowHTMLEscapes checks the hand-written leaderboard row escapes
// every value a trial record carries (a worker's name, an error message).
func TestRowHTMLEscapes(t *testing.T) {
	evil := `"><script>alert(1)</script>`
	r := row{ID: 3, Rank: 1, Family: evil, FamilyKey: evil, Desc: evil, Worker: evil, Error: evil, URL: "/experiments/x/trials/3",
		Cells: []cell{{Text: evil, Value: evil}, {Text: "0.5", Value: "0.5"}}}
	got := string(rowHTML(r))
	if strings.Contains(got, "<script>") || strings.Contains(got, `"><script`) {
		t.Errorf("unescaped value in row:\n%s", got)
	}
	for _, want := range []string{`data-id="3"`, `value="3"`, `href="/experiments/x/trials/3"`, `class="num primary-col"`, `class="num more" data-v="0.5">0.5</td>`, `&lt;script&gt;`} {
		if !strings.Contains(got, want) {
			t.Errorf("row lacks %s:\n%s", want, got)
		}
	}
}

// TestParamsZeroMeanings checks the trial page's parameter list reads a
// zero limit as what it means.
func TestParamsZeroMeanings(t *testing.T) {
	got := map[string]string{}
	for _, p := range params(&tree.GBDTParams{Rounds: 432, MaxDepth: 0, BaggingFreq: 0, LearningRate: 0.05}) {
		got[p.Key] = p.Value
	}
	want := map[string]string{"rounds": "432", "max depth": "unlimited", "bagging freq": "never", "learning rate": "0.05"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	got = map[string]string{}
	for _, p := range params(&tree.TreeParams{MaxDepth: 6}) {
		got[p.Key] = p.Value
	}
	if got["max depth"] != "6" || got["max leaves"] != "unlimited" {
		t.Errorf("tree params: %v", got)
	}
}

// TestEnsembleRow checks an ensemble trial's row says what it blends.
func TestEnsembleRow(t *testing.T) {
	tr := automl.Trial{Status: "ok", Val: map[string]float64{"roc_auc": 0.8}}
	tr.ID = 40
	tr.Model.Family = automl.EnsembleFamily
	tr.Ensemble = &automl.EnsembleSpec{Members: []automl.EnsembleMember{{Trial: 12, Weight: 0.6}, {Trial: 3, Weight: 0.4}}, Candidates: 20}
	r := trialRow(tr, 1, metricColumns("roc_auc"), "/experiments/x")
	if r.Desc != "blend of trial 12 ×0.60, trial 3 ×0.40 (chosen from the best 20)" || r.Family != "Ensemble" {
		t.Errorf("ensemble row: %q %q", r.Family, r.Desc)
	}
}
