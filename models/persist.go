package models

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/goautoml/automl/store"
)

// StateFile is the file Save writes for the logistic, knn and naive_bayes
// families, inside the directory it is given.
const StateFile = "model_state.json"

// stateFile is the JSON layout of StateFile. Floats are written by
// encoding/json in their shortest exact form, so they read back bit for bit.
type stateFile struct {
	Family   Family          `json:"family"`
	Logistic *LogisticState  `json:"logistic,omitempty"`
	KNN      *KNNState       `json:"knn,omitempty"`
	Bayes    *BayesState     `json:"naive_bayes,omitempty"`
	Params   json.RawMessage `json:"params"` // the spec's params, for people reading the file
}

// Save writes the fitted model into dir (model files only; the bundle's
// model.json is automl's). c must be the classifier s.New made, fitted.
func Save(dir string, s Spec, c Classifier) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("models: save: %w", err)
	}
	f := stateFile{Family: s.Family}
	var params any
	ok := true
	switch s.Family {
	case Logistic:
		m, is := c.(*LogisticClassifier)
		ok = is && m.State != nil
		if ok {
			f.Logistic, params = m.State, s.Logistic
		}
	case KNN:
		m, is := c.(*KNNClassifier)
		ok = is && m.State != nil
		if ok {
			f.KNN, params = m.State, s.KNN
		}
	case NaiveBayes:
		m, is := c.(*BayesClassifier)
		ok = is && m.State != nil
		if ok {
			f.Bayes, params = m.State, s.NaiveBayes
		}
	default:
		return saveTree(dir, s, c)
	}
	if !ok {
		return fmt.Errorf("models: save %s: classifier is a %T, not a fitted %s model", s.Family, c, s.Family)
	}
	raw, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("models: save %s: %w", s.Family, err)
	}
	f.Params = raw
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("models: save %s: %w", s.Family, err)
	}
	if err := store.WriteFile(filepath.Join(dir, StateFile), data); err != nil {
		return fmt.Errorf("models: save: %w", err)
	}
	return nil
}

// Load reads what Save wrote. Tree families load through
// github.com/dmitryikh/leaves.
func Load(dir string, s Spec, setup Setup) (Classifier, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := setup.validate(); err != nil {
		return nil, err
	}
	switch s.Family {
	case Logistic, KNN, NaiveBayes:
	default:
		return loadTree(dir, s, setup)
	}
	path := filepath.Join(dir, StateFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("models: load: %w", err)
	}
	var f stateFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("models: load %s: %w", path, err)
	}
	if f.Family != s.Family {
		return nil, fmt.Errorf("models: load %s: file holds a %s model, spec wants %s", path, f.Family, s.Family)
	}
	var c Classifier
	switch s.Family {
	case Logistic:
		err = f.Logistic.check(setup)
		c = &LogisticClassifier{Params: *s.Logistic, Setup: setup, State: f.Logistic}
	case KNN:
		err = f.KNN.check(setup)
		c = &KNNClassifier{Params: *s.KNN, Setup: setup, State: f.KNN}
	case NaiveBayes:
		err = f.Bayes.check(setup)
		c = &BayesClassifier{Params: *s.NaiveBayes, Setup: setup, State: f.Bayes}
	}
	if err != nil {
		return nil, fmt.Errorf("models: load %s: %w", path, err)
	}
	return c, nil
}

func checkClasses(classes int, setup Setup) error {
	if classes != setup.Classes {
		return fmt.Errorf("model has %d classes, setup says %d", classes, setup.Classes)
	}
	return nil
}

// check reports a state whose shapes do not agree (a damaged file).
func (st *LogisticState) check(setup Setup) error {
	if st == nil {
		return fmt.Errorf("no logistic state")
	}
	if err := checkClasses(st.Classes, setup); err != nil {
		return err
	}
	rows := st.Classes
	if rows == 2 {
		rows = 1
	}
	if st.Features < 1 {
		return fmt.Errorf("logistic state has %d features", st.Features)
	}
	if len(st.Coef) != rows || len(st.Intercept) != rows {
		return fmt.Errorf("logistic state has %d coefficient rows and %d intercepts, want %d",
			len(st.Coef), len(st.Intercept), rows)
	}
	for k, r := range st.Coef {
		if len(r) != st.Features {
			return fmt.Errorf("logistic coefficient row %d has %d values, want %d", k, len(r), st.Features)
		}
	}
	return nil
}

func (st *KNNState) check(setup Setup) error {
	if st == nil {
		return fmt.Errorf("no knn state")
	}
	if err := checkClasses(st.Classes, setup); err != nil {
		return err
	}
	n := len(st.Y)
	if n == 0 || st.Features < 1 || len(st.X) != n*st.Features || len(st.W) != n {
		return fmt.Errorf("knn state has %d values, %d labels and %d weights for %d features",
			len(st.X), n, len(st.W), st.Features)
	}
	for i, c := range st.Y {
		if c < 0 || c >= st.Classes {
			return fmt.Errorf("knn row %d has class %d, want 0..%d", i, c, st.Classes-1)
		}
	}
	return nil
}

func (st *BayesState) check(setup Setup) error {
	if st == nil {
		return fmt.Errorf("no naive bayes state")
	}
	if err := checkClasses(st.Classes, setup); err != nil {
		return err
	}
	K := st.Classes
	if len(st.ClassWeight) != K || len(st.Theta) != K || len(st.Var) != K || len(st.LogProb) != K ||
		len(st.Categorical) != len(st.Cardinality) || len(st.Gaussian)+len(st.Categorical) != st.Features {
		return fmt.Errorf("naive bayes state shapes disagree with %d classes and %d features", K, st.Features)
	}
	for _, j := range append(append([]int(nil), st.Gaussian...), st.Categorical...) {
		if j < 0 || j >= st.Features {
			return fmt.Errorf("naive bayes column %d out of range 0..%d", j, st.Features-1)
		}
	}
	for c := 0; c < K; c++ {
		if len(st.Theta[c]) != len(st.Gaussian) || len(st.Var[c]) != len(st.Gaussian) ||
			len(st.LogProb[c]) != len(st.Categorical) {
			return fmt.Errorf("naive bayes class %d parameters disagree with the columns", c)
		}
		for f, card := range st.Cardinality {
			if len(st.LogProb[c][f]) != card {
				return fmt.Errorf("naive bayes class %d column %d has %d codes, want %d",
					c, st.Categorical[f], len(st.LogProb[c][f]), card)
			}
		}
	}
	return nil
}
