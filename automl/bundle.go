package automl

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/preprocess"
	"github.com/goautoml/automl/store"
)

// BundleFormat is the version of model.json this code writes.
const BundleFormat = 1

// maxEnum caps how many category values a bundle lists per column.
const maxEnum = 1000

// Bundle is a trial's model as a self-contained directory: model.json (this
// struct) and the model's own files under model/. With it, new rows can be
// scored without the training data.
type Bundle struct {
	Format     int                  `json:"format"`
	Experiment string               `json:"experiment"`
	TrialID    int                  `json:"trial_id"`
	Family     models.Family        `json:"family"`
	Target     string               `json:"target"`
	Classes    []string             `json:"classes"`
	Positive   int                  `json:"positive"` // index of the positive class (binary), -1 for multiclass
	Inputs     []InputColumn        `json:"inputs"`
	Prep       *preprocess.Pipeline `json:"prep"`
	Model      models.Spec          `json:"model"`
	Setup      models.Setup         `json:"setup"`
	DataSHA256 string               `json:"data_sha256"`
	Metric     string               `json:"metric"`
	Val        map[string]float64   `json:"val"`
	Test       map[string]float64   `json:"test"`
}

// InputColumn is one column a bundle needs, with an example value taken from
// a training row and, for categorical columns, the values seen in training.
type InputColumn struct {
	Name       string       `json:"name"`
	Kind       dataset.Kind `json:"kind"`
	Example    string       `json:"example"`
	Categories []string     `json:"categories,omitempty"`
	// Missing tells whether training rows had missing values in the column.
	Missing bool `json:"missing"`
}

// SaveBundle writes trial t's bundle into dir.
func SaveBundle(dir string, d *Data, exp string, t Trial, f *Fitted) error {
	b := Bundle{
		Format: BundleFormat, Experiment: exp, TrialID: t.ID, Family: f.Spec.Family,
		Target: d.Target.Column, Classes: d.Target.Classes, Positive: d.Target.Positive,
		Prep: f.Pipeline, Model: f.Spec, Setup: f.Setup, DataSHA256: d.Frame.SHA256,
		Metric: d.Metric, Val: t.Val, Test: t.Test,
	}
	b.Setup.Workers = 0
	train := d.Split.Train
	if len(d.Split.Folds) > 0 {
		train = append(slices.Clone(d.Split.Train), d.Split.Val...)
	}
	for _, in := range f.Pipeline.Spec.Columns {
		b.Inputs = append(b.Inputs, describeInput(d.Frame.Column(in.Name), in.Kind, train))
	}
	if err := models.Save(store.BundleModel(dir, 0), f.Spec, f.Model); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	return store.WriteJSON(store.Bundle(dir), b)
}

func describeInput(c *dataset.Column, kind dataset.Kind, rows []int) InputColumn {
	in := InputColumn{Name: c.Name, Kind: kind}
	seen := map[string]bool{}
	for _, r := range rows {
		if c.Missing[r] {
			in.Missing = true
			continue
		}
		if in.Example == "" {
			in.Example = c.String(r)
		}
		if kind == dataset.Categorical && len(seen) <= maxEnum {
			seen[c.String(r)] = true
		}
	}
	if kind == dataset.Categorical && len(seen) <= maxEnum {
		for v := range seen {
			in.Categories = append(in.Categories, v)
		}
		sort.Strings(in.Categories)
	}
	return in
}

// Model is a loaded bundle, ready to score.
type Model struct {
	Bundle
	Dir string
	clf models.Classifier
}

// LoadBundle reads the bundle in dir. dir may be a trial folder, a bundle
// folder, or an experiment's "best" (runs/<exp>/best or runs/<exp>/trials/best).
func LoadBundle(dir string) (*Model, error) {
	dir, err := ResolveTrialDir(dir)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(store.Bundle(dir))
	if err != nil {
		return nil, fmt.Errorf("%s is not a model bundle: %w", dir, err)
	}
	var m Model
	if err := json.Unmarshal(raw, &m.Bundle); err != nil {
		return nil, fmt.Errorf("%s: %w", store.Bundle(dir), err)
	}
	if m.Format != BundleFormat {
		return nil, fmt.Errorf("%s: bundle format %d, this program reads format %d", dir, m.Format, BundleFormat)
	}
	if m.Prep == nil {
		return nil, fmt.Errorf("%s: bundle has no preprocessing", dir)
	}
	m.Dir = dir
	m.clf, err = models.Load(store.BundleModel(dir, 0), m.Model, m.Setup)
	if err != nil {
		return nil, fmt.Errorf("%s: load model: %w", dir, err)
	}
	return &m, nil
}

// ResolveTrialDir turns "…/best" into the folder of the experiment's best
// trial; other paths are returned as they are.
func ResolveTrialDir(dir string) (string, error) {
	if filepath.Base(dir) != store.BestAlias {
		return dir, nil
	}
	if _, err := os.Stat(store.Bundle(dir)); err == nil {
		return dir, nil
	}
	exp := filepath.Dir(dir)
	if filepath.Base(exp) == store.TrialsDir {
		exp = filepath.Dir(exp)
	}
	s, err := OpenStore(exp)
	if err != nil {
		return "", err
	}
	e, err := s.Experiment()
	if err != nil {
		return "", err
	}
	if e.Best == nil {
		return "", fmt.Errorf("%s has no successful trial yet", exp)
	}
	return s.Layout.Trial(*e.Best), nil
}

// Kinds are the input kinds by column name, to read new data the way the
// training data was read.
func (m *Model) Kinds() map[string]dataset.Kind {
	k := make(map[string]dataset.Kind, len(m.Inputs))
	for _, in := range m.Inputs {
		k[in.Name] = in.Kind
	}
	return k
}

// PredictProba scores every row of f (rows = frame rows, columns = classes).
func (m *Model) PredictProba(f *dataset.Frame) (*mat.Dense, error) {
	if f.NumRows() == 0 {
		return nil, errors.New("no rows to score")
	}
	rows := make([]int, f.NumRows())
	for i := range rows {
		rows[i] = i
	}
	x, err := m.Prep.Transform(f, rows)
	if err != nil {
		return nil, err
	}
	return m.clf.PredictProba(x)
}

// Classifier is the loaded classifier.
func (m *Model) Classifier() models.Classifier { return m.clf }

// TrialID parses a trial id argument ("best" gives -1).
func TrialID(s string) (int, error) {
	if s == "best" {
		return -1, nil
	}
	id, err := strconv.Atoi(s)
	if err != nil || id < 0 {
		return 0, fmt.Errorf("trial %q: expected a trial number or \"best\"", s)
	}
	return id, nil
}
