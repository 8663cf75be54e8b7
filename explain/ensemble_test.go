package explain

import (
	"context"
	"log/slog"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/logistic"
	"github.com/goautoml/automl/models/randomforest"
	"github.com/goautoml/automl/store"
)

// The SHAP values of an ensemble are the weighted sum of its members' SHAP
// values, each explained on its own (here a logistic regression, sampled,
// and a random forest, exact TreeSHAP, both in probability space), with
// the same rows, seed and background.
func TestEnsembleSHAPIsTheWeightedSumOfMembers(t *testing.T) {
	res := runExperiment(t, "german_credit.csv", -1, logistic.Name, randomforest.Name)
	first := map[models.Family]int{}
	last := 0
	for _, tr := range res.Trials {
		if _, ok := first[tr.Model.Family]; !ok && tr.Status == "ok" {
			first[tr.Model.Family] = tr.ID
		}
		last = max(last, tr.ID)
	}
	lr, rf := first[logistic.Name], first[randomforest.Name]
	st, err := automl.OpenWriter(res.Dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	id := last + 1
	b, err := bundle.Combine(st.Layout.Trial(id), []bundle.Part{{Dir: st.Layout.Trial(lr), Weight: 1}, {Dir: st.Layout.Trial(rf), Weight: 3}})
	if err != nil {
		t.Fatal(err)
	}
	rec := automl.Trial{TrialSpec: automl.TrialSpec{ID: id, Prep: b.Members[0].Prep.Spec, Model: models.Spec{Family: bundle.EnsembleFamily}}, Status: "ok"}
	if err := st.AppendTrial(rec); err != nil {
		t.Fatal(err)
	}
	st.Close()

	opt := Options{Permutations: 2, Workers: 2, SHAPTimeout: -1}.withDefaults()
	rep, err := Trial(context.Background(), res.Dir, id, opt)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Method != "members" {
		t.Fatalf("ensemble explained by %s", rep.Method)
	}
	readSHAP(t, store.At(res.Dir).ExplainFile(id, SHAPFile), 1e-9)

	// The same rows, explained through the ensemble and through each member.
	s, err := open(res.Dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	m, err := bundle.Load(st.Layout.Trial(id))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := fromBundle(m)
	if err != nil {
		t.Fatal(err)
	}
	rows := s.data.Split.Test[:15]
	var info SHAPInfo
	ens, outs, err := s.shapMembers(context.Background(), sc, rows, &info, opt)
	if err != nil {
		t.Fatal(err)
	}
	pos := s.data.Target.Positive
	if len(outs) != 1 || outs[0] != pos || strings.Join(info.Members, ",") != "permutation,tree_path_dependent" {
		t.Fatalf("outputs %v, members %v", outs, info.Members)
	}
	want := mat.NewDense(len(rows), len(sc.names), nil)
	base := 0.0
	for k, p := range sc.parts {
		var mi SHAPInfo
		c, got, err := s.shap(context.Background(), p.clf, p.pipe, rows, p.groups, &mi, opt, true)
		if err != nil {
			t.Fatal(err)
		}
		o := slices.Index(got, pos)
		sign := 1.0
		if o < 0 { // a one-output forest explains class 1
			o, sign = slices.Index(got, 1-pos), -1
			base += p.w * (1 - c.Base[o])
		} else {
			base += p.w * c.Base[o]
		}
		for i := range rows {
			for j, v := range c.Phi[o].RawRowView(i) {
				want.Set(i, p.at[j], want.At(i, p.at[j])+p.w*sign*v)
			}
		}
		if w := []float64{0.25, 0.75}[k]; p.w != w {
			t.Fatalf("member %d weight %v, want %v", k, p.w, w)
		}
	}
	if math.Abs(ens.Base[0]-base) > 1e-12 {
		t.Fatalf("base %v, weighted members %v", ens.Base[0], base)
	}
	for i := range rows {
		for j := range sc.names {
			if math.Abs(ens.Phi[0].At(i, j)-want.At(i, j)) > 1e-12 {
				t.Fatalf("row %d, %s: ensemble %v, weighted members %v", rows[i], sc.names[j], ens.Phi[0].At(i, j), want.At(i, j))
			}
		}
	}
}
