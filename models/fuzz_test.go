package models_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/knn"
	"github.com/goautoml/automl/models/logistic"
	"github.com/goautoml/automl/models/modelstest"
	"github.com/goautoml/automl/models/naivebayes"
)

// FuzzLoad feeds damaged model_state.json files to Load: it must return an
// error or a model that predicts without panicking.
func FuzzLoad(f *testing.F) {
	X, y := modelstest.Synthetic(21, 40, 3, 3)
	setup := models.Setup{Classes: 3, Categorical: []bool{false, false, false}, Cardinality: []int{0, 0, 0}}
	specs := []models.Spec{models.DefaultSpec(logistic.Name), models.DefaultSpec(knn.Name), models.DefaultSpec(naivebayes.Name)}
	for _, s := range specs {
		m, err := s.New(setup)
		if err != nil {
			f.Fatal(err)
		}
		if err := m.Fit(context.Background(), X, y, nil); err != nil {
			f.Fatal(err)
		}
		dir := f.TempDir()
		if err := models.Save(dir, s, m); err != nil {
			f.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, models.StateFile))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"family":"naive_bayes","naive_bayes":{"classes":3,"features":1,"class_weight":[1,1,1],"gaussian":[0],"theta":[[0],[0],[0]],"var":[[1],[1],[1]],"log_prob":[[],[],[]]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, models.StateFile), data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, s := range specs {
			m, err := models.Load(dir, s, setup)
			if err != nil {
				continue
			}
			P, err := m.PredictProba(X)
			if err == nil {
				if r, c := P.Dims(); r != 40 || c != 3 {
					t.Fatalf("%s: %d×%d probabilities", s.Family, r, c)
				}
			}
			_, _ = m.PredictProba(mat.NewDense(1, 5, nil))
			_, _ = m.PredictProba(&mat.Dense{})
		}
	})
}
