package automl

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/knn"
	"github.com/goautoml/automl/samples"
)

// withExtraColumns writes German Credit with an ID column, a column that
// copies the target, a constant column, and the target missing in some rows.
func withExtraColumns(t *testing.T, keepBad func(i int) bool) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(string(samples.GermanCredit)), "\n")
	var b strings.Builder
	b.WriteString("applicant_id," + lines[0] + ",leak,constant\n")
	for i, l := range lines[1:] {
		class := l[strings.LastIndexByte(l, ',')+1:]
		if class == "2" && !keepBad(i) {
			continue
		}
		row := fmt.Sprintf("%d,%s,%s,x\n", 100000+i, l, map[string]string{"1": "good", "2": "bad"}[class])
		if i%97 == 0 {
			row = fmt.Sprintf("%d,%s,%s,x\n", 100000+i, l[:strings.LastIndexByte(l, ',')+1], "good")
		}
		b.WriteString(row)
	}
	path := filepath.Join(t.TempDir(), "gc.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func codes(p Plan) []string {
	var c []string
	for _, g := range p.Guardrails {
		c = append(c, g.Code+":"+g.Column)
	}
	return c
}

func TestGuardrails(t *testing.T) {
	path := withExtraColumns(t, func(i int) bool { return i%5 == 0 }) // about 60 bad rows for 700 good: imbalanced
	p, err := Prepare(Config{Data: path, Target: "class", Seed: 1, RunsDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	plan := p.Experiment.Plan
	got := codes(plan)
	for _, want := range []string{"missing_target:class", "class_imbalance:class", "id_column:applicant_id", "constant_column:constant", "leakage:leak"} {
		if !slices.Contains(got, want) {
			t.Errorf("guardrail %s not raised; got %v", want, got)
		}
	}
	var used []string
	for _, c := range plan.Columns {
		used = append(used, c.Name)
	}
	for _, gone := range []string{"applicant_id", "leak", "constant", "class"} {
		if slices.Contains(used, gone) {
			t.Errorf("column %s is used as a feature", gone)
		}
	}
	if len(used) != 20 {
		t.Errorf("%d feature columns, want German Credit's 20: %v", len(used), used)
	}
	if w := plan.ClassWeights; len(w) != 2 || w[1] <= w[0] {
		t.Errorf("class weights %v: the minority class should weigh more", w)
	}

	// Ranked by log loss (or the Brier score, or accuracy), the same data is
	// fitted unweighted: the guardrail still reports the imbalance, and says so.
	for _, metric := range []string{"log_loss", "brier", "accuracy"} {
		p, err := Prepare(Config{Data: path, Target: "class", Seed: 1, RunsDir: t.TempDir(), Metric: metric})
		if err != nil {
			t.Fatal(err)
		}
		plan := p.Experiment.Plan
		if plan.ClassWeights != nil {
			t.Errorf("%s: class weights %v, want none", metric, plan.ClassWeights)
		}
		i := slices.IndexFunc(plan.Guardrails, func(g Guardrail) bool { return g.Code == "class_imbalance" })
		if i < 0 || !strings.Contains(plan.Guardrails[i].Action, "not weighted") {
			t.Errorf("%s: imbalance not reported as left unweighted: %+v", metric, plan.Guardrails)
		}
	}
	// F1 and the other rank and threshold metrics keep the weights.
	if p, err := Prepare(Config{Data: path, Target: "class", Seed: 1, RunsDir: t.TempDir(), Metric: "f1"}); err != nil {
		t.Fatal(err)
	} else if p.Experiment.Plan.ClassWeights == nil {
		t.Error("f1: no class weights on imbalanced data")
	}

	// --keep-col keeps the leaking column, --exclude-cols drops another.
	p, err = Prepare(Config{Data: path, Target: "class", Seed: 1, RunsDir: t.TempDir(), KeepCols: []string{"leak"}, ExcludeCols: []string{"Telephone"}})
	if err != nil {
		t.Fatal(err)
	}
	used = used[:0]
	for _, c := range p.Experiment.Plan.Columns {
		used = append(used, c.Name)
	}
	if !slices.Contains(used, "leak") || slices.Contains(used, "Telephone") {
		t.Errorf("keep-col/exclude-cols not applied: %v", used)
	}

	// A balanced copy raises no imbalance guardrail and uses no weights.
	balanced := withExtraColumns(t, func(int) bool { return true })
	p, err = Prepare(Config{Data: balanced, Target: "class", Seed: 1, RunsDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if p.Experiment.Plan.ClassWeights != nil || slices.Contains(codes(p.Experiment.Plan), "class_imbalance:class") {
		t.Errorf("70/30 data flagged as imbalanced: %v", codes(p.Experiment.Plan))
	}
}

// TestMaxTrainRows checks the guardrail built from a descriptor's
// MaxTrainRows (knn: 20,000): above it the family leaves the search, with
// the message it had before the registry; --include keeps it.
func TestMaxTrainRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("a,b,y\n")
	for i := range 34000 { // 60 % of the rows train: 20,400
		fmt.Fprintf(&b, "%d,%d,%d\n", i%101, i%37, i%2)
	}
	path := filepath.Join(t.TempDir(), "big.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, include := range [][]models.Family{nil, {knn.Name}} {
		p, err := Prepare(Config{Data: path, Target: "y", Seed: 1, RunsDir: t.TempDir(), Include: include})
		if err != nil {
			t.Fatal(err)
		}
		plan := p.Experiment.Plan
		var g *Guardrail
		for i := range plan.Guardrails {
			if plan.Guardrails[i].Code == "knn_skipped" {
				g = &plan.Guardrails[i]
			}
		}
		if include != nil {
			if g != nil || len(plan.Skip) > 0 {
				t.Errorf("--include knn: skipped %v, guardrail %+v", plan.Skip, g)
			}
			continue
		}
		if !slices.Equal(plan.Skip, []models.Family{knn.Name}) || g == nil {
			t.Fatalf("skip %v, guardrails %v", plan.Skip, codes(plan))
		}
		if g.Message != "20400 training rows: k-nearest neighbours would compare each scored row with all of them" ||
			g.Action != "knn left out of the search above 20000 training rows (--include knn keeps it)" {
			t.Errorf("guardrail %+v", *g)
		}
	}
}
