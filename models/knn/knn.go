package knn

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/models"
)

// Params are the hyperparameters of k-nearest neighbours.
type Params struct {
	K       int    `json:"k"`       // neighbours; clamped to the number of training rows
	Weights string `json:"weights"` // "uniform" | "distance"
	Metric  string `json:"metric"`  // "euclidean"
}

func (p *Params) Validate() error {
	switch {
	case p.K < 1:
		return fmt.Errorf("k %d, want >= 1", p.K)
	case p.Weights != "uniform" && p.Weights != "distance":
		return fmt.Errorf("weights %q, want uniform or distance", p.Weights)
	case p.Metric != "euclidean":
		return fmt.Errorf("metric %q, want euclidean", p.Metric)
	}
	return nil
}

// State is the fitted state of k-nearest neighbours: the training rows
// with a positive sample weight.
type State struct {
	Classes  int       `json:"classes"`
	Features int       `json:"features"`
	X        []float64 `json:"x"` // rows × features, row-major
	Y        []int     `json:"y"`
	W        []float64 `json:"w"` // sample weights of the rows
}

// Classifier is a k-nearest-neighbours classifier with euclidean
// distance. Class probabilities are as scikit-learn's
// KNeighborsClassifier: the share of the k nearest rows in each class,
// each row counted once ("uniform") or with weight 1/distance ("distance";
// when some neighbours coincide with the query, they alone share the
// weight). Sample weights multiply each neighbour's vote, and rows with
// weight 0 are left out, so unit weights give scikit-learn's numbers.
//
// Neighbours are found exactly by brute force: a matrix product (gonum
// BLAS) ranks the candidates through |q|²+|t|²-2q·t, and every candidate
// within the rounding-error bound of the k-th is re-measured directly as
// Σ(q-t)², so the k nearest and their distances are those of the direct
// formula. Ties are broken by the lower training row.
//
// golearn's kdtree was not used: its exhaustive branch treats an empty node
// as a point at the origin with row number 0, so on standardised data
// (centred at the origin) it returned wrong neighbours for 243 of 500
// random queries (200 training rows, 3 features, k 5, checked against
// brute force); it also needs the archived github.com/gonum/matrix.
type Classifier struct {
	Params Params
	Setup  models.Setup
	State  *State // nil until fitted

	norms []float64 // |t|² per training row, rebuilt lazily
	mu    sync.Mutex
}

// New returns an unfitted k-nearest-neighbours classifier.
func New(p Params, setup models.Setup) *Classifier {
	return &Classifier{Params: p, Setup: setup}
}

// Fit stores the training rows with positive weight.
func (m *Classifier) Fit(ctx context.Context, X *mat.Dense, y []int, w []float64) error {
	if err := m.Params.Validate(); err != nil {
		return fmt.Errorf("models: knn: %w", err)
	}
	w, err := models.TrainWeights(X, y, w, m.Setup)
	if err != nil {
		return fmt.Errorf("models: knn: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("models: knn: %w", context.Cause(ctx))
	}
	n, d := X.Dims()
	st := &State{Classes: m.Setup.Classes, Features: d}
	for i := 0; i < n; i++ {
		if w[i] == 0 {
			continue
		}
		st.X = append(st.X, X.RawRowView(i)...)
		st.Y = append(st.Y, y[i])
		st.W = append(st.W, w[i])
	}
	m.mu.Lock()
	m.State, m.norms = st, nil
	m.mu.Unlock()
	return nil
}

// trainNorms returns |t|² per training row.
func (m *Classifier) trainNorms() []float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.norms == nil {
		st := m.State
		m.norms = make([]float64, len(st.Y))
		for i := range m.norms {
			r := st.X[i*st.Features : (i+1)*st.Features]
			m.norms[i] = floats.Dot(r, r)
		}
	}
	return m.norms
}

// knnBlock is the number of query rows ranked by one matrix product.
const knnBlock = 64

// PredictProba returns class probabilities, computing blocks of rows on
// Setup.Workers goroutines; each row's result does not depend on the
// scheduling.
func (m *Classifier) PredictProba(X *mat.Dense) (*mat.Dense, error) {
	st := m.State
	features := 0
	if st != nil {
		features = st.Features
	}
	if err := models.CheckPredict(X, features, st != nil); err != nil {
		return nil, fmt.Errorf("models: knn: %w", err)
	}
	n, _ := X.Dims()
	P := mat.NewDense(n, st.Classes, nil)
	norms := m.trainNorms()
	blocks := (n + knnBlock - 1) / knnBlock
	next := make(chan int, blocks)
	for b := 0; b < blocks; b++ {
		next <- b
	}
	close(next)
	var wg sync.WaitGroup
	for range min(m.Setup.NumWorkers(), blocks) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newKNNSearch(st, norms, m.Params)
			for b := range next {
				lo, hi := b*knnBlock, min((b+1)*knnBlock, n)
				s.block(X.Slice(lo, hi, 0, features).(*mat.Dense), P.Slice(lo, hi, 0, st.Classes).(*mat.Dense))
			}
		}()
	}
	wg.Wait()
	return P, nil
}

// knnSearch holds one goroutine's scratch space.
type knnSearch struct {
	st     *State
	train  *mat.Dense
	norms  []float64
	maxN   float64
	k      int
	dist   bool
	g      *mat.Dense
	cand   []neighbour
	approx []neighbour
}

type neighbour struct {
	d2  float64
	row int
}

func less(a, b neighbour) bool { return a.d2 < b.d2 || (a.d2 == b.d2 && a.row < b.row) }

func newKNNSearch(st *State, norms []float64, p Params) *knnSearch {
	n := len(st.Y)
	return &knnSearch{
		st: st, train: mat.NewDense(n, st.Features, st.X), norms: norms, maxN: floats.Max(norms),
		k: min(p.K, n), dist: p.Weights == "distance", g: mat.NewDense(knnBlock, n, nil),
	}
}

func (s *knnSearch) block(Q, P *mat.Dense) {
	rows, d := Q.Dims()
	// Dot products of the block's queries with every training row, train
	// row outermost so each stays in cache across the block. (A plain loop:
	// gonum's Dgemm would start goroutines of its own under ours.)
	g := s.g.Slice(0, rows, 0, len(s.st.Y)).(*mat.Dense)
	gm := g.RawMatrix()
	for j := range s.st.Y {
		t := s.st.X[j*d : (j+1)*d]
		for i := 0; i < rows; i++ {
			gm.Data[i*gm.Stride+j] = floats.Dot(Q.RawRowView(i), t)
		}
	}
	eps := math.Nextafter(1, 2) - 1
	for i := 0; i < rows; i++ {
		q := Q.RawRowView(i)
		qn := floats.Dot(q, q)
		gi := g.RawRowView(i)
		// The k smallest approximate squared distances.
		s.approx = s.approx[:0]
		for j, v := range gi {
			s.approx = pushK(s.approx, neighbour{qn + s.norms[j] - 2*v, j}, s.k)
		}
		kth := s.approx[0].d2 // max-heap root
		margin := 8 * float64(d+3) * eps * (qn + s.maxN)
		s.cand = s.cand[:0]
		for j, v := range gi {
			if qn+s.norms[j]-2*v <= kth+margin {
				t := s.st.X[j*d : (j+1)*d]
				sum := 0.0
				for f, qv := range q {
					e := qv - t[f]
					sum += e * e
				}
				s.cand = append(s.cand, neighbour{sum, j})
			}
		}
		sort.Slice(s.cand, func(a, b int) bool { return less(s.cand[a], s.cand[b]) })
		s.vote(s.cand[:s.k], P.RawRowView(i))
	}
}

// vote writes the class probabilities of one query from its neighbours,
// nearest first.
func (s *knnSearch) vote(nb []neighbour, p []float64) {
	exact := false
	for _, v := range nb {
		exact = exact || v.d2 == 0
	}
	for c := range p {
		p[c] = 0
	}
	for _, v := range nb {
		w := s.st.W[v.row]
		switch {
		case !s.dist:
		case exact && v.d2 != 0:
			w = 0
		case !exact:
			w /= math.Sqrt(v.d2)
		}
		p[s.st.Y[v.row]] += w
	}
	total := 0.0
	for _, v := range p {
		total += v
	}
	if total == 0 || math.IsInf(total, 0) {
		// Only possible with extreme weights; fall back to plain counts.
		for c := range p {
			p[c] = 0
		}
		for _, v := range nb {
			p[s.st.Y[v.row]]++
		}
		total = float64(len(nb))
	}
	for c := range p {
		p[c] /= total
	}
}

// pushK keeps h a max-heap (by less) of at most k neighbours, the k
// smallest seen so far.
func pushK(h []neighbour, v neighbour, k int) []neighbour {
	if len(h) < k {
		h = append(h, v)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if !less(h[p], h[i]) {
				break
			}
			h[p], h[i] = h[i], h[p]
			i = p
		}
		return h
	}
	if !less(v, h[0]) {
		return h
	}
	h[0] = v
	for i := 0; ; {
		l, r, big := 2*i+1, 2*i+2, i
		if l < len(h) && less(h[big], h[l]) {
			big = l
		}
		if r < len(h) && less(h[big], h[r]) {
			big = r
		}
		if big == i {
			return h
		}
		h[i], h[big] = h[big], h[i]
		i = big
	}
}
