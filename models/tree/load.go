package tree

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/dmitryikh/leaves"
	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/store"
)

// File names inside a model directory.
const (
	// ModelGzFile is the LightGBM text model (version v3), gzipped: about
	// a third of its size (a 100-tree forest of deep trees took 4 MB).
	ModelGzFile = "model.txt.gz"
	// ModelFile is the LightGBM text model as bundles before ModelGzFile
	// kept it (and as LoadModel reads one LightGBM wrote).
	ModelFile = "model.txt"
	// EnsembleHeadFile is what the Ensemble view, for explainers, holds
	// beyond the LightGBM text (see head): JSON, mostly a bit per node (a
	// 100-tree forest of deep trees, 273,000 nodes: 46 kB). Not gzipped:
	// that would save 12 kB of a 4 MB bundle.
	EnsembleHeadFile = "ensemble-head.json"
	// EnsembleGzFile is the whole view as gzipped JSON, as bundles before
	// EnsembleHeadFile kept it: four times the LightGBM text before gzip,
	// and writing it took longer than growing a large forest.
	EnsembleGzFile = "ensemble.json.gz"
	// EnsembleFile is the view as bundles before EnsembleGzFile kept it.
	EnsembleFile = "ensemble.json"
)

// Save writes e into dir as ModelGzFile (LightGBM text, gzipped) and
// EnsembleHeadFile (JSON), each through a temporary file and a rename; the
// files of an older save there that they replace are removed. The views
// of an older save go first, so that a save cut short never leaves a view
// beside a model it does not describe.
func Save(dir string, e *Ensemble) error {
	if e == nil {
		return ErrNotFitted
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("tree: save: %w", err)
	}
	if err := remove(dir, EnsembleHeadFile, EnsembleGzFile, EnsembleFile); err != nil {
		return err
	}
	if err := store.Write(filepath.Join(dir, ModelGzFile), gzipped(e.WriteLightGBM)); err != nil {
		return fmt.Errorf("tree: save: %w", err)
	}
	if err := store.Write(filepath.Join(dir, EnsembleHeadFile), func(w io.Writer) error { return json.NewEncoder(w).Encode(headOf(e)) }); err != nil {
		return fmt.Errorf("tree: save: %w", err)
	}
	return remove(dir, ModelFile)
}

// remove removes those of the files named names in dir that exist.
func remove(dir string, names ...string) error {
	for _, name := range names {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("tree: save: %w", err)
		}
	}
	return nil
}

// gzipped is write through a gzip stream. Level 3: a fifth smaller than
// level 1 for a quarter more time; the default (6) takes four times as long.
func gzipped(write func(io.Writer) error) func(io.Writer) error {
	return func(w io.Writer) error {
		zw, err := gzip.NewWriterLevel(w, 3)
		if err != nil {
			return err
		}
		if err := write(zw); err != nil {
			return err
		}
		return zw.Close()
	}
}

// maxUnzipped bounds a gzipped model file once decompressed (a gzip bomb
// in a bundle must not take the memory): 1 GB, a hundred times the largest
// model seen.
const maxUnzipped = 1 << 30

// readModelFile reads path, decompressing it when its name ends in .gz.
func readModelFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil || filepath.Ext(path) != ".gz" {
		return data, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if data, err = io.ReadAll(io.LimitReader(zr, maxUnzipped+1)); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxUnzipped {
		return nil, fmt.Errorf("%s: more than %d MB once decompressed", path, maxUnzipped>>20)
	}
	return data, nil
}

// Scorer is a saved model loaded for scoring: every prediction goes
// through leaves, which reads the LightGBM text file.
type Scorer struct {
	model *leaves.Ensemble
	// blocks are the same trees split into consecutive runs of blockTrees,
	// each loaded by leaves as a model of its own; weights scale their
	// outputs (a block's share of the iterations for averaged models, 1
	// otherwise). Large batches go through them block by block.
	blocks   []*leaves.Ensemble
	weights  []float64
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
// Ensemble.WriteLightGBM), gzipped when path ends in .gz. It scores on all
// CPUs; see SetWorkers.
func LoadModel(path string) (*Scorer, error) {
	return loadModel(path, 0)
}

// SetWorkers sets the goroutines PredictProba uses (<= 0: all CPUs).
func (s *Scorer) SetWorkers(n int) { s.workers = Config{Workers: n}.workers() }

func loadModel(path string, workers int) (s *Scorer, err error) {
	data, err := readModelFile(path)
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
	sc := &Scorer{model: model, link: e.Link, classes: e.Classes, features: e.Features,
		workers: Config{Workers: workers}.workers(), ens: e}
	if err := sc.splitBlocks(path); err != nil {
		return nil, err
	}
	return sc, nil
}

// Tree-blocked scoring. leaves walks every tree for one row before the
// next row, so a 500-tree model (about 0.5 MB of nodes) falls out of the
// L1 and L2 caches at every row. Scoring blockRows rows through
// blockTrees trees at a time keeps one block's nodes hot: the 10,000-row
// batch of a 500-tree German Credit GBDT takes about a third less CPU.
const (
	blockTrees = 16 // trees per block (rounded to whole iterations)
	// rows scored through one block before the next: at least blockRows,
	// more (up to maxBlockRows) when that still gives every worker a chunk
	blockRows    = 1024
	maxBlockRows = 8192
	// minBlockedRows is the batch size from which blocks pay off.
	minBlockedRows = 64
)

// splitBlocks loads the model's trees again as blocks of blockTrees trees
// (nothing to do for a model that small). Each block is written in the
// same text format from the trees parsed out of the file, so leaves reads
// the same thresholds and leaf values, and scores every tree.
func (s *Scorer) splitBlocks(path string) error {
	e := s.ens
	per := max(1, blockTrees/e.Outputs) // iterations per block
	iters := e.Iterations()
	if iters <= per {
		return nil
	}
	for a := 0; a < iters; a += per {
		b := min(a+per, iters)
		sub := &Ensemble{Trees: e.Trees[a*e.Outputs : b*e.Outputs], Outputs: e.Outputs, Classes: e.Classes,
			Features: e.Features, Average: e.Average, Link: e.Link}
		var buf bytes.Buffer
		if err := sub.WriteLightGBM(&buf); err != nil {
			return fmt.Errorf("tree: load %s: %w", path, err)
		}
		m, err := leaves.LGEnsembleFromReader(bufio.NewReader(&buf), false)
		if err != nil {
			return fmt.Errorf("tree: load %s: block of trees %d..%d: %w", path, a, b-1, err)
		}
		w := 1.0
		if e.Average {
			w = float64(b-a) / float64(iters)
		}
		s.blocks = append(s.blocks, m)
		s.weights = append(s.weights, w)
	}
	return nil
}

// predictBlocked writes the raw outputs of the rows of vals (ncols values
// each) into pred, block of trees by block of trees, on up to s.workers
// goroutines (each row's result is the same whichever runs it).
func (s *Scorer) predictBlocked(vals []float64, rows, ncols int, pred []float64) error {
	outs := s.model.NRawOutputGroups()
	per := min(maxBlockRows, max(blockRows, (rows+s.workers-1)/s.workers))
	chunks := (rows + per - 1) / per
	errs := make([]error, chunks)
	parallelFor(chunks, s.workers, func(c int) {
		lo, hi := c*per, min(rows, (c+1)*per)
		n := hi - lo
		out := pred[lo*outs : hi*outs]
		clear(out)
		tmp := make([]float64, n*outs)
		for b, m := range s.blocks {
			if err := m.PredictDense(vals[lo*ncols:hi*ncols], n, ncols, tmp, 0, 1); err != nil {
				errs[c] = err
				return
			}
			w := s.weights[b]
			for i, v := range tmp {
				out[i] += v * w
			}
		}
	})
	return errors.Join(errs...)
}

// Load reads what Save wrote into dir: the LightGBM model for scoring and,
// on the first call to Ensemble, EnsembleHeadFile, which turns the trees
// parsed from that model into the Ensemble view as it was saved (an older
// bundle's view is read whole from EnsembleGzFile or EnsembleFile). Only
// explainers need that view, so scoring never waits for it: a 500-tree
// model loads in the time leaves takes. It scores on up to workers
// goroutines (<= 0: all CPUs).
func Load(dir string, workers int) (*Scorer, error) {
	path := filepath.Join(dir, ModelGzFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		path = filepath.Join(dir, ModelFile) // an older bundle
	}
	s, err := loadModel(path, workers)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{EnsembleHeadFile, EnsembleGzFile, EnsembleFile} {
		s.ensPath = filepath.Join(dir, name)
		if _, err := os.Stat(s.ensPath); !errors.Is(err, os.ErrNotExist) {
			break
		}
	}
	return s, nil
}

// Ensemble returns the tree view of the loaded model: the one saved (as
// EnsembleHeadFile, or whole by older bundles) when it exists and
// describes this model, otherwise the view parsed from the LightGBM file
// (init score folded into the first trees, internal nodes before leaves).
// EnsembleError tells why a saved view was not used.
func (s *Scorer) Ensemble() *Ensemble {
	s.ensOnce.Do(func() {
		if s.ensPath == "" {
			return
		}
		if filepath.Base(s.ensPath) == EnsembleHeadFile {
			s.ensErr = readHead(s.ensPath, s.ens)
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
	data, err := readModelFile(path)
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
		return nil, fmt.Errorf("tree: load %s: does not describe the LightGBM model beside it", path)
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
	var err error
	if s.blocks != nil && raw.Rows >= minBlockedRows {
		err = s.predictBlocked(vals, raw.Rows, raw.Cols, pred)
	} else {
		err = s.model.PredictDense(vals, raw.Rows, raw.Cols, pred, 0, s.workers)
	}
	if err != nil {
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
