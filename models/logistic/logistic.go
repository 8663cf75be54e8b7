package logistic

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"

	"github.com/goautoml/automl/models"
)

// Params are the hyperparameters of logistic regression.
//
// The objective is scikit-learn's: with sample weights w_i summing to S,
//
//	l2: 0.5*||W||² + C * Σ w_i loss_i     (solved with L-BFGS)
//	l1: ||W||₁     + C * Σ w_i loss_i     (solved with OWL-QN)
//
// where loss is the binary logistic loss for two classes and the
// multinomial (softmax) loss otherwise; intercepts are not penalised.
type Params struct {
	C       float64 `json:"c"`                    // inverse regularisation strength, > 0
	Penalty string  `json:"penalty"`              // "l2" | "l1"
	MaxIter int     `json:"max_iter" zero:"1000"` // iteration limit; 0 = 1000
	// Tol stops the solver once the largest component of the (minimum-norm
	// sub)gradient of the objective divided by C*S is below it; 0 = 1e-6.
	// This is scikit-learn's lbfgs gtol on the same scaled objective.
	Tol float64 `json:"tol" zero:"1e-6"`
}

func (p *Params) Validate() error {
	switch {
	case !(p.C > 0) || math.IsInf(p.C, 1):
		return fmt.Errorf("c %v, want a finite value > 0", p.C)
	case p.Penalty != "l2" && p.Penalty != "l1":
		return fmt.Errorf("penalty %q, want l2 or l1", p.Penalty)
	case p.MaxIter < 0:
		return fmt.Errorf("max_iter %d, want >= 0 (0 = 1000)", p.MaxIter)
	case !(p.Tol >= 0):
		return fmt.Errorf("tol %v, want >= 0 (0 = 1e-6)", p.Tol)
	}
	return nil
}

func (p Params) maxIter() int {
	if p.MaxIter == 0 {
		return 1000
	}
	return p.MaxIter
}

func (p Params) tol() float64 {
	if p.Tol == 0 {
		return 1e-6
	}
	return p.Tol
}

// State is the fitted state of a logistic regression.
type State struct {
	Classes   int         `json:"classes"`
	Features  int         `json:"features"`
	Coef      [][]float64 `json:"coef"`      // one row for binary problems (the positive class 1), else one per class
	Intercept []float64   `json:"intercept"` // one per row of Coef
	Iter      int         `json:"iter"`      // solver iterations used
	Converged bool        `json:"converged"` // the gradient test (Tol) held at the end
}

// Classifier is an L1- or L2-penalised logistic regression.
type Classifier struct {
	Params Params
	Setup  models.Setup
	State  *State // nil until fitted
}

// New returns an unfitted logistic regression.
func New(p Params, setup models.Setup) *Classifier {
	return &Classifier{Params: p, Setup: setup}
}

// logisticLoss evaluates the scaled objective's smooth part (weighted mean
// loss, plus the L2 term when l2 > 0) and its gradient at theta, laid out as
// rows×d coefficients followed by rows intercepts.
type logisticLoss struct {
	X       *mat.Dense
	y       []int
	sw      []float64 // w_i / S
	rows, d int       // rows = 1 (binary) or classes
	l2      float64   // 1/(C*S) for l2, 0 for l1
	z       *mat.Dense
}

func newLogisticLoss(X *mat.Dense, y []int, w []float64, classes int) *logisticLoss {
	n, d := X.Dims()
	rows := classes
	if classes == 2 {
		rows = 1
	}
	s := floats.Sum(w)
	sw := make([]float64, n)
	floats.ScaleTo(sw, 1/s, w)
	return &logisticLoss{X: X, y: y, sw: sw, rows: rows, d: d, z: mat.NewDense(n, rows, nil)}
}

func (l *logisticLoss) dim() int { return l.rows * (l.d + 1) }

// eval returns the objective at theta and, if grad is non-nil, writes the
// gradient into it.
func (l *logisticLoss) eval(theta, grad []float64) float64 {
	W := mat.NewDense(l.rows, l.d, theta[:l.rows*l.d])
	b := theta[l.rows*l.d:]
	l.z.Mul(l.X, W.T())
	n, _ := l.X.Dims()
	f := 0.0
	for i := 0; i < n; i++ {
		z := l.z.RawRowView(i)
		floats.Add(z, b)
		if l.rows == 1 {
			t := 0.0
			if l.y[i] == 1 {
				t = 1
			}
			f += l.sw[i] * (models.Log1pExp(z[0]) - t*z[0])
			z[0] = l.sw[i] * (models.Sigmoid(z[0]) - t) // z now holds d loss / d z
			continue
		}
		// One exp per class: p_k = exp(z_k - max) / Σ exp(z_j - max).
		zy, mx := z[l.y[i]], z[0]
		for _, v := range z[1:] {
			mx = math.Max(mx, v)
		}
		s := 0.0
		for k, v := range z {
			z[k] = math.Exp(v - mx)
			s += z[k]
		}
		f += l.sw[i] * (mx + math.Log(s) - zy)
		floats.Scale(l.sw[i]/s, z)
		z[l.y[i]] -= l.sw[i]
	}
	wv := theta[:l.rows*l.d]
	if l.l2 > 0 {
		f += 0.5 * l.l2 * floats.Dot(wv, wv)
	}
	if grad == nil {
		return f
	}
	G := mat.NewDense(l.rows, l.d, grad[:l.rows*l.d])
	G.Mul(l.z.T(), l.X)
	if l.l2 > 0 {
		floats.AddScaled(grad[:l.rows*l.d], l.l2, wv)
	}
	gb := grad[l.rows*l.d:]
	for k := range gb {
		gb[k] = 0
	}
	for i := 0; i < n; i++ {
		floats.Add(gb, l.z.RawRowView(i))
	}
	return f
}

// ctxRecorder stops an optimize run when ctx is done.
type ctxRecorder struct{ ctx context.Context }

func (r ctxRecorder) Init() error { return nil }
func (r ctxRecorder) Record(_ *optimize.Location, op optimize.Operation, _ *optimize.Stats) error {
	if op == optimize.MajorIteration && r.ctx.Err() != nil {
		return context.Cause(r.ctx)
	}
	return nil
}

// Fit learns the coefficients. Class weights come through w.
func (m *Classifier) Fit(ctx context.Context, X *mat.Dense, y []int, w []float64) error {
	if err := m.Params.Validate(); err != nil {
		return fmt.Errorf("models: logistic: %w", err)
	}
	w, err := models.TrainWeights(X, y, w, m.Setup)
	if err != nil {
		return fmt.Errorf("models: logistic: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("models: logistic: %w", context.Cause(ctx))
	}
	loss := newLogisticLoss(X, y, w, m.Setup.Classes)
	s := floats.Sum(w)
	theta := make([]float64, loss.dim())
	var iter int
	var converged bool
	if m.Params.Penalty == "l1" {
		iter, converged, err = l1Solve(ctx, loss, 1/(m.Params.C*s), theta, m.Params.maxIter(), m.Params.tol())
	} else {
		loss.l2 = 1 / (m.Params.C * s)
		iter, converged, err = m.lbfgs(ctx, loss, theta)
	}
	if err != nil {
		return fmt.Errorf("models: logistic: %w", err)
	}
	st := &State{Classes: m.Setup.Classes, Features: loss.d, Iter: iter, Converged: converged}
	for k := 0; k < loss.rows; k++ {
		st.Coef = append(st.Coef, append([]float64(nil), theta[k*loss.d:(k+1)*loss.d]...))
	}
	st.Intercept = append([]float64(nil), theta[loss.rows*loss.d:]...)
	m.State = st
	return nil
}

// lbfgs minimises the L2 objective in place.
func (m *Classifier) lbfgs(ctx context.Context, loss *logisticLoss, theta []float64) (int, bool, error) {
	p := optimize.Problem{
		Func: func(x []float64) float64 { return loss.eval(x, nil) },
		Grad: func(g, x []float64) { loss.eval(x, g) },
	}
	settings := &optimize.Settings{
		GradientThreshold: m.Params.tol(),
		MajorIterations:   m.Params.maxIter(),
		Converger:         optimize.NeverTerminate{},
		Recorder:          ctxRecorder{ctx},
	}
	res, err := optimize.Minimize(p, theta, settings, &optimize.LBFGS{Store: 20})
	if res == nil {
		return 0, false, err
	}
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return 0, false, context.Cause(ctx)
		}
		// A line search that can make no more progress has reached the
		// optimum to machine precision; anything else is a failure.
		if !errors.Is(err, optimize.ErrLinesearcherFailure) && !errors.Is(err, optimize.ErrNoProgress) {
			return 0, false, err
		}
	}
	copy(theta, res.X)
	g := make([]float64, len(theta))
	loss.eval(theta, g)
	return res.MajorIterations, floats.Norm(g, math.Inf(1)) < m.Params.tol(), nil
}

// PredictProba returns class probabilities.
func (m *Classifier) PredictProba(X *mat.Dense) (*mat.Dense, error) {
	st := m.State
	if err := models.CheckPredict(X, featuresOf(st), st != nil); err != nil {
		return nil, fmt.Errorf("models: logistic: %w", err)
	}
	n, _ := X.Dims()
	rows := len(st.Coef)
	W := mat.NewDense(rows, st.Features, nil)
	for k, c := range st.Coef {
		W.SetRow(k, c)
	}
	z := mat.NewDense(n, rows, nil)
	z.Mul(X, W.T())
	P := mat.NewDense(n, st.Classes, nil)
	for i := 0; i < n; i++ {
		zi := z.RawRowView(i)
		floats.Add(zi, st.Intercept)
		pi := P.RawRowView(i)
		if rows == 1 {
			pi[1] = models.Sigmoid(zi[0])
			pi[0] = 1 - pi[1]
			continue
		}
		models.SoftmaxInto(pi, zi)
	}
	return P, nil
}

func featuresOf(st *State) int {
	if st == nil {
		return 0
	}
	return st.Features
}
