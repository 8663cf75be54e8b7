package tree

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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
}

// LoadModel reads a LightGBM text model written by WriteModel (or
// Ensemble.WriteLightGBM). It scores on all CPUs; see SetWorkers.
func LoadModel(path string) (*Scorer, error) {
	return loadModel(path, 0)
}

// SetWorkers sets the goroutines PredictProba uses (<= 0: all CPUs).
func (s *Scorer) SetWorkers(n int) { s.workers = Config{Workers: n}.workers() }

func loadModel(path string, workers int) (*Scorer, error) {
	hdr, err := readHeader(path)
	if err != nil {
		return nil, err
	}
	model, err := leaves.LGEnsembleFromFile(path, false)
	if err != nil {
		return nil, fmt.Errorf("tree: load %s: %w", path, err)
	}
	s := &Scorer{model: model, workers: Config{Workers: workers}.workers()}
	outs, err := strconv.Atoi(hdr["num_class"])
	if err != nil || outs < 1 {
		return nil, fmt.Errorf("tree: load %s: num_class %q, want a positive integer", path, hdr["num_class"])
	}
	_, avg := hdr["average_output"]
	obj := hdr["objective"]
	switch {
	case avg:
		s.link = Identity
	case obj == "binary sigmoid:1" && outs == 1:
		s.link = Logistic
	case strings.HasPrefix(obj, "multiclass ") && outs > 1:
		s.link = Softmax
	default:
		return nil, fmt.Errorf("tree: load %s: objective %q with %d outputs is not a classifier this package writes", path, obj, outs)
	}
	s.classes = max(2, outs)
	mfi, err := strconv.Atoi(hdr["max_feature_idx"])
	if err != nil {
		return nil, fmt.Errorf("tree: load %s: max_feature_idx %q, want an integer", path, hdr["max_feature_idx"])
	}
	s.features = mfi + 1
	return s, nil
}

// readHeader returns the key=value lines before the first blank line.
func readHeader(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tree: load: %w", err)
	}
	defer f.Close()
	hdr := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		if t == "" {
			break
		}
		k, v, _ := strings.Cut(t, "=")
		hdr[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tree: load %s line %d: %w", path, line+1, err)
	}
	if hdr["version"] != "v3" {
		return nil, fmt.Errorf("tree: load %s: version %q, want v3 (LightGBM text model)", path, hdr["version"])
	}
	return hdr, nil
}

// Load reads what Save wrote into dir: the LightGBM model for scoring and
// the Ensemble view. It scores on up to workers goroutines (<= 0: all CPUs).
func Load(dir string, workers int) (*Scorer, error) {
	s, err := loadModel(filepath.Join(dir, ModelFile), workers)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, EnsembleFile)
	data, err := os.ReadFile(path)
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
	if e.Features != s.features || e.Outputs != s.model.NRawOutputGroups() || len(e.Trees) != s.model.NEstimators()*e.Outputs {
		return nil, fmt.Errorf("tree: load %s: does not describe the model in %s", path, ModelFile)
	}
	s.ens = &e
	return s, nil
}

// Ensemble returns the tree structure saved beside the model (nil when the
// scorer came from LoadModel alone).
func (s *Scorer) Ensemble() *Ensemble { return s.ens }

// Fit always fails: a loaded model is only scored.
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
