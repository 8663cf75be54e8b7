package explain

import (
	"context"
	"fmt"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/preprocess"
)

// scorer is the model of a trial as explain sees it: one or more members,
// each a fitted pipeline and classifier, whose probabilities the bundle
// combines. Explanations are per input column (names); the matrix explain
// permutes is the members' matrices side by side ("stacked").
type scorer struct {
	names  []string
	parts  []part
	groups [][]int       // per input column: its columns of the stacked matrix
	model  *bundle.Model // nil for a trial fitted again (one member)
	family models.Family
}

// part is one member.
type part struct {
	w      float64
	pipe   *preprocess.Pipeline
	clf    models.Classifier
	nf     int
	off    int     // first column in the stacked matrix
	groups [][]int // per column of the member's pipeline: its matrix columns
	at     []int   // per column of the member's pipeline: its index in names
}

// newScorer builds the scorer of members with weights w.
func newScorer(pipes []*preprocess.Pipeline, clfs []models.Classifier, w []float64) (*scorer, error) {
	s := &scorer{}
	index := map[string]int{}
	off := 0
	for k, pipe := range pipes {
		p := part{w: w[k], pipe: pipe, clf: clfs[k], nf: pipe.NumFeatures(), off: off}
		g, err := Groups(pipe.Features(), len(pipe.Spec.Columns))
		if err != nil {
			return nil, err
		}
		p.groups = g
		for _, c := range pipe.Spec.Columns {
			j, ok := index[c.Name]
			if !ok {
				j = len(s.names)
				index[c.Name] = j
				s.names = append(s.names, c.Name)
				s.groups = append(s.groups, nil)
			}
			p.at = append(p.at, j)
		}
		for j, cols := range g {
			for _, c := range cols {
				s.groups[p.at[j]] = append(s.groups[p.at[j]], off+c)
			}
		}
		off += p.nf
		s.parts = append(s.parts, p)
	}
	return s, nil
}

// fromBundle is the scorer of a loaded bundle.
func fromBundle(m *bundle.Model) (*scorer, error) {
	var (
		pipes []*preprocess.Pipeline
		clfs  []models.Classifier
		w     []float64
	)
	for _, mb := range m.Members() {
		pipes, clfs, w = append(pipes, mb.Prep), append(clfs, mb.Classifier), append(w, mb.Weight)
	}
	s, err := newScorer(pipes, clfs, w)
	if err != nil {
		return nil, err
	}
	s.model, s.family = m, m.Family
	return s, nil
}

// transform is the stacked matrix of rows of f.
func (s *scorer) transform(f *dataset.Frame, rows []int) (*mat.Dense, error) {
	if len(s.parts) == 1 {
		return s.parts[0].pipe.Transform(f, rows)
	}
	width := 0
	for _, p := range s.parts {
		width += p.nf
	}
	X := mat.NewDense(len(rows), width, nil)
	for _, p := range s.parts {
		x, err := p.pipe.Transform(f, rows)
		if err != nil {
			return nil, err
		}
		X.Slice(0, len(rows), p.off, p.off+p.nf).(*mat.Dense).Copy(x)
	}
	return X, nil
}

// block is member p's columns of the stacked matrix X, as a matrix of its own.
func (s *scorer) block(X *mat.Dense, p part) *mat.Dense {
	if len(s.parts) == 1 {
		return X
	}
	r, _ := X.Dims()
	return mat.DenseCopyOf(X.Slice(0, r, p.off, p.off+p.nf))
}

// predict scores a stacked matrix: the model's probabilities (combined and,
// when the bundle has one, calibrated).
func (s *scorer) predict(X *mat.Dense) (*mat.Dense, error) {
	if s.model == nil {
		return s.parts[0].clf.PredictProba(X)
	}
	ps := make([]*mat.Dense, len(s.parts))
	for k, p := range s.parts {
		P, err := p.clf.PredictProba(s.block(X, p))
		if err != nil {
			return nil, err
		}
		ps[k] = P
	}
	return s.model.Mix(ps)
}

// labels are the classes the bundle predicts from probabilities P.
func (s *scorer) labels(P *mat.Dense) []int {
	r, _ := P.Dims()
	out := make([]int, r)
	for i := range r {
		out[i] = s.model.Label(P.RawRowView(i))
	}
	return out
}

// shapMembers explains an ensemble in probability space: each member's
// SHAP values of its class probabilities (exact TreeSHAP for forests and
// trees, whose outputs are probabilities; permutation sampling for the
// others, GBDT included), summed to its input columns, placed on the
// ensemble's input columns and added with the member weights. The SHAP
// values of a weighted sum are the weighted sum of the members' values, so
// base value + Σ values = Σ w_k · p_k, the members' combined probability
// (before any calibration, which is not additive), for every row. Binary
// targets explain the positive class; a member that explains the other
// class gives 1 - p, with values and base negated and complemented.
func (s *session) shapMembers(ctx context.Context, sc *scorer, rows []int, info *SHAPInfo, opt Options) (*Contributions, []int, error) {
	k := len(s.data.Target.Classes)
	outs := make([]int, k)
	for o := range outs {
		outs[o] = o
	}
	if k == 2 {
		outs = []int{s.data.Target.Positive}
	}
	mopt := opt
	if opt.SHAPTimeout > 0 {
		mopt.SHAPTimeout = opt.SHAPTimeout / time.Duration(len(sc.parts))
	}
	n := len(rows)
	sum := &Contributions{Base: make([]float64, len(outs)), Phi: make([]*mat.Dense, len(outs)), Raw: make([][]float64, len(outs))}
	for o := range outs {
		sum.Phi[o] = mat.NewDense(max(n, 1), len(sc.names), nil)
		sum.Raw[o] = make([]float64, n)
	}
	info.Output, info.Method, info.Members = "probability", "members", nil
	dl, bounded := ctx.Deadline()
	for i, p := range sc.parts {
		var mi SHAPInfo
		// Each member gets its share of the time left, and only the rows
		// every member before it finished.
		mctx, cancel := ctx, context.CancelFunc(func() {})
		if bounded {
			share := time.Until(dl) / time.Duration(len(sc.parts)-i)
			mctx, cancel = context.WithDeadlineCause(ctx, time.Now().Add(share), ErrTimeout)
		}
		c, got, err := s.shap(mctx, p.clf, p.pipe, rows[:n], p.groups, &mi, mopt, true)
		cancel()
		if err != nil {
			return nil, nil, err
		}
		info.Members = append(info.Members, mi.Method)
		info.Partial = info.Partial || mi.Partial
		if mi.Background > 0 {
			info.Background, info.Permutations = mi.Background, mi.Permutations
		}
		n = min(n, len(c.Raw[0]))
		for o, class := range outs {
			phi, base, raw, sign := pick(c, got, class, k)
			if phi == nil {
				return nil, nil, fmt.Errorf("member %d (%T) gives no SHAP values for class %d", len(info.Members)-1, p.clf, class)
			}
			sum.Base[o] += p.w * (sign*base + (1-sign)/2)
			for i := range n {
				src, dst := phi.RawRowView(i), sum.Phi[o].RawRowView(i)
				for j, v := range src {
					dst[p.at[j]] += p.w * sign * v
				}
				sum.Raw[o][i] += p.w * (sign*raw[i] + (1-sign)/2)
			}
		}
	}
	info.Rows = n
	for o := range outs {
		sum.Raw[o] = sum.Raw[o][:n]
		if n == 0 {
			sum.Phi[o] = &mat.Dense{}
		} else if r, _ := sum.Phi[o].Dims(); r > n {
			sum.Phi[o] = sum.Phi[o].Slice(0, n, 0, len(sc.names)).(*mat.Dense)
		}
	}
	return sum, outs, nil
}

// pick finds class's contributions among c's outputs (got: the class of
// each): sign 1 when found, -1 when only the other class of a binary target
// is there (its probability is 1 - p).
func pick(c *Contributions, got []int, class, classes int) (phi *mat.Dense, base float64, raw []float64, sign float64) {
	for o, g := range got {
		if g == class {
			return c.Phi[o], c.Base[o], c.Raw[o], 1
		}
	}
	if classes == 2 {
		for o, g := range got {
			if g == 1-class {
				return c.Phi[o], c.Base[o], c.Raw[o], -1
			}
		}
	}
	return nil, 0, nil, 0
}
