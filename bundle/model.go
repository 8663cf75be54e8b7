package bundle

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/models"
	_ "github.com/goautoml/automl/models/families" // a bundle loads any built-in family
	"github.com/goautoml/automl/store"
)

// Model is a loaded bundle, ready to score.
type Model struct {
	Bundle
	// Dir is the bundle folder it was loaded from.
	Dir     string
	loaded  []Loaded
	weights []float64 // normalised
}

// Loaded is a member with its classifier in memory.
type Loaded struct {
	Member
	// Weight is the normalised weight (the weights of a model sum to 1).
	Weight     float64
	Classifier models.Classifier
}

// Load reads the bundle in dir, format 1 or 2, and its members'
// classifiers. dir may be a trial folder, a bundle folder, or an
// experiment's "best" (runs/<exp>/best or runs/<exp>/trials/best).
func Load(dir string) (*Model, error) {
	dir, err := Resolve(dir)
	if err != nil {
		return nil, err
	}
	b, err := Read(dir)
	if err != nil {
		return nil, err
	}
	m := &Model{Bundle: *b, Dir: dir}
	total := 0.0
	for _, mb := range b.Members {
		total += mb.Weight
	}
	clfs, errs := loadMembers(dir, b.Members)
	for k, mb := range b.Members {
		if errs[k] != nil {
			return nil, fmt.Errorf("%s: load member %d (%s): %w", dir, k, mb.Family, errs[k])
		}
		w := mb.Weight / total
		if len(b.Members) == 1 {
			w = 1
		}
		m.loaded = append(m.loaded, Loaded{Member: mb, Weight: w, Classifier: clfs[k]})
		m.weights = append(m.weights, w)
	}
	return m, nil
}

// loadMembers reads the members' classifiers, several at a time: parsing
// a forest's trees is most of a bundle's load (the ensemble step of a
// 30 s search on 7,600 rows spent 1.4 s loading five members one by one).
// Each member's result lands at its index, so the outcome does not depend
// on the order they finish in.
func loadMembers(dir string, members []Member) ([]models.Classifier, []error) {
	clfs := make([]models.Classifier, len(members))
	errs := make([]error, len(members))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	for k, mb := range members {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			clfs[k], errs[k] = models.Load(store.BundleModel(dir, k), mb.Model, mb.Setup)
		}()
	}
	wg.Wait()
	return clfs, errs
}

// Members are the loaded members, with normalised weights.
func (m *Model) Members() []Loaded { return m.loaded }

// Kinds are the input kinds by column name, to read new data the way the
// training data was read.
func (m *Model) Kinds() map[string]dataset.Kind {
	k := make(map[string]dataset.Kind, len(m.Inputs))
	for _, in := range m.Inputs {
		k[in.Name] = in.Kind
	}
	return k
}

// PredictProba scores every row of f (rows = frame rows, columns =
// classes): each member scores the rows through its own pipeline, and Mix
// combines the members' probabilities.
func (m *Model) PredictProba(f *dataset.Frame) (*mat.Dense, error) {
	if f.NumRows() == 0 {
		return nil, errors.New("no rows to score")
	}
	rows := make([]int, f.NumRows())
	for i := range rows {
		rows[i] = i
	}
	return m.PredictRows(f, rows)
}

// PredictRows scores the given rows of f.
func (m *Model) PredictRows(f *dataset.Frame, rows []int) (*mat.Dense, error) {
	ps := make([]*mat.Dense, len(m.loaded))
	for k, mb := range m.loaded {
		x, err := mb.Prep.Transform(f, rows)
		if err != nil {
			return nil, err
		}
		if ps[k], err = mb.Classifier.PredictProba(x); err != nil {
			return nil, m.memberErr(k, err)
		}
	}
	return m.Mix(ps)
}

func (m *Model) memberErr(k int, err error) error {
	if len(m.loaded) == 1 {
		return err
	}
	return fmt.Errorf("member %d (%s): %w", k, m.loaded[k].Family, err)
}

// Blend is the weighted sum of the members' probabilities ps (one matrix
// per member, in member order, rows × classes), without calibration. With
// one member it returns ps[0] itself.
func (m *Model) Blend(ps []*mat.Dense) (*mat.Dense, error) {
	if len(ps) != len(m.loaded) {
		return nil, fmt.Errorf("bundle: %d probability matrices for %d members", len(ps), len(m.loaded))
	}
	k := len(m.Classes)
	r, c := ps[0].Dims()
	for j, p := range ps {
		if pr, pc := p.Dims(); pr != r || pc != k {
			return nil, fmt.Errorf("bundle: member %d returned %d×%d probabilities, want %d×%d", j, pr, pc, r, k)
		}
	}
	if len(ps) == 1 {
		return ps[0], nil
	}
	out := mat.NewDense(r, c, nil)
	for j, p := range ps {
		w := m.weights[j]
		for i := range r {
			dst, src := out.RawRowView(i), p.RawRowView(i)
			for l, v := range src {
				dst[l] += w * v
			}
		}
	}
	return out, nil
}

// Mix combines the members' probabilities ps into the model's: Blend, then
// the calibration when the bundle has one.
func (m *Model) Mix(ps []*mat.Dense) (*mat.Dense, error) {
	p, err := m.Blend(ps)
	if err != nil || m.Calibration == nil {
		return p, err
	}
	if len(ps) == 1 { // Blend returned the member's own matrix
		p = mat.DenseCopyOf(p)
	}
	m.Calibration.Apply(p)
	return p, nil
}

// Label is the index of the class predicted for one row of the model's
// probabilities: the positive class when its probability reaches the
// bundle's threshold (binary targets with a threshold), else the most
// probable class (the first on ties).
func (m *Model) Label(p []float64) int {
	if t := m.Threshold; t != nil && len(p) == 2 && m.Positive >= 0 && m.Positive < 2 {
		if p[m.Positive] >= t.Value {
			return m.Positive
		}
		return 1 - m.Positive
	}
	best := 0
	for j := 1; j < len(p); j++ {
		if p[j] > p[best] {
			best = j
		}
	}
	return best
}
