package tree

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/dmitryikh/leaves"
	"gonum.org/v1/gonum/mat"
)

// File names inside a model directory.
const (
	ModelFile    = "model.txt"     // LightGBM text model, version v3
	EnsembleFile = "ensemble.json" // the Ensemble view, for explainers
)

// Save writes e into dir as ModelFile (LightGBM text) and EnsembleFile
// (JSON), each through a temporary file and a rename.
func Save(dir string, e *Ensemble) error {
	if e == nil {
		return ErrNotFitted
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("tree: save: %w", err)
	}
	if err := writeAtomic(filepath.Join(dir, ModelFile), func(f *os.File) error { return e.WriteLightGBM(f) }); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, EnsembleFile), func(f *os.File) error {
		enc := json.NewEncoder(f)
		return enc.Encode(e)
	})
}

func writeAtomic(path string, write func(*os.File) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("tree: save: %w", err)
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("tree: save %s: %w", path, err)
	}
	return nil
}

// Scorer is a saved model loaded for scoring: every prediction goes
// through leaves, which reads the LightGBM text file.
type Scorer struct {
	model    *leaves.Ensemble
	link     Link
	classes  int
	features int
	workers  int
	ens      *Ensemble

	ensPath string
	ensOnce sync.Once
	ensErr  error
}

// LoadModel reads a LightGBM text model written by WriteModel (or
// Ensemble.WriteLightGBM). It scores on all CPUs; see SetWorkers.
func LoadModel(path string) (*Scorer, error) {
	return loadModel(path, 0)
}

// SetWorkers sets the goroutines PredictProba uses (<= 0: all CPUs).
func (s *Scorer) SetWorkers(n int) { s.workers = Config{Workers: n}.workers() }

func loadModel(path string, workers int) (s *Scorer, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tree: load: %w", err)
	}
	// Our own parser checks the structure first, so leaves never meets a
	// file that could make it fail at scoring time.
	e, err := ReadLightGBM(bytes.NewReader(data), path)
	if err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("tree: load %s: leaves failed: %v", path, r)
		}
	}()
	model, err := leaves.LGEnsembleFromReader(bufio.NewReader(bytes.NewReader(data)), false)
	if err != nil {
		return nil, fmt.Errorf("tree: load %s: %w", path, err)
	}
	if model.NRawOutputGroups() != e.Outputs || model.NEstimators()*e.Outputs != len(e.Trees) {
		return nil, fmt.Errorf("tree: load %s: leaves reads %d trees of %d outputs, the file has %d of %d",
			path, model.NEstimators()*model.NRawOutputGroups(), model.NRawOutputGroups(), len(e.Trees), e.Outputs)
	}
	return &Scorer{model: model, link: e.Link, classes: e.Classes, features: e.Features,
		workers: Config{Workers: workers}.workers(), ens: e}, nil
}

// Load reads what Save wrote into dir: the LightGBM model for scoring and,
// on the first call to Ensemble, the Ensemble view from EnsembleFile (which
// keeps init scores apart from the leaf values). Only explainers need that
// view, so scoring never waits for it: a 500-tree model loads in the time
// leaves takes. It scores on up to workers goroutines (<= 0: all CPUs).
func Load(dir string, workers int) (*Scorer, error) {
	s, err := loadModel(filepath.Join(dir, ModelFile), workers)
	if err != nil {
		return nil, err
	}
	s.ensPath = filepath.Join(dir, EnsembleFile)
	return s, nil
}

// Ensemble returns the tree view of the loaded model: the one saved in
// EnsembleFile when it exists and describes this model, otherwise the view
// parsed from the LightGBM file (init score folded into the first trees).
// EnsembleError tells why a saved view was not used.
func (s *Scorer) Ensemble() *Ensemble {
	s.ensOnce.Do(func() {
		if s.ensPath == "" {
			return
		}
		e, err := readEnsemble(s.ensPath, s)
		if err != nil {
			s.ensErr = err
			return
		}
		if e != nil {
			s.ens = e
		}
	})
	return s.ens
}

// EnsembleError is why the saved Ensemble view could not be used (nil when
// it was, or when there was none).
func (s *Scorer) EnsembleError() error {
	s.Ensemble()
	return s.ensErr
}

func readEnsemble(path string, s *Scorer) (*Ensemble, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // the view parsed from the model file will do
	}
	if err != nil {
		return nil, fmt.Errorf("tree: load: %w", err)
	}
	var e Ensemble
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("tree: load %s: %w", path, err)
	}
	if err := e.validate(); err != nil {
		return nil, fmt.Errorf("tree: load %s: %w", path, err)
	}
	if e.Features != s.features || e.Outputs != s.ens.Outputs || len(e.Trees) != len(s.ens.Trees) || e.Link != s.link {
		return nil, fmt.Errorf("tree: load %s: does not describe the model in %s", path, ModelFile)
	}
	return &e, nil
}

func (s *Scorer) Fit(context.Context, *mat.Dense, []int, []float64) error {
	return errors.New("tree: a loaded model cannot be refitted")
}

// PredictProba scores X through leaves.
func (s *Scorer) PredictProba(X *mat.Dense) (*mat.Dense, error) {
	if err := checkPredict(X, s.features); err != nil {
		return nil, err
	}
	raw := X.RawMatrix()
	vals := raw.Data
	if raw.Stride != raw.Cols {
		vals = make([]float64, raw.Rows*raw.Cols)
		for i := 0; i < raw.Rows; i++ {
			copy(vals[i*raw.Cols:], raw.Data[i*raw.Stride:i*raw.Stride+raw.Cols])
		}
	}
	outs := s.model.NRawOutputGroups()
	pred := make([]float64, raw.Rows*outs)
	if err := s.model.PredictDense(vals, raw.Rows, raw.Cols, pred, 0, s.workers); err != nil {
		return nil, fmt.Errorf("tree: score: %w", err)
	}
	out := mat.NewDense(raw.Rows, s.classes, nil)
	for i := 0; i < raw.Rows; i++ {
		linkProba(s.link, pred[i*outs:(i+1)*outs], out.RawRowView(i))
	}
	return out, nil
}

// Classes is the number of classes the loaded model scores.
func (s *Scorer) Classes() int { return s.classes }
