package logistic

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/modelstest"
)

var errBudget = errors.New("budget reached")

func TestContextCancelled(t *testing.T) {
	X, y := modelstest.Synthetic(2, 500, 5, 3)
	for _, pen := range []string{"l2", "l1"} {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(errBudget)
		m := New(Params{C: 1, Penalty: pen}, models.Setup{Classes: 3})
		if err := m.Fit(ctx, X, y, nil); !errors.Is(err, errBudget) {
			t.Errorf("%s: Fit with a cancelled context: %v", pen, err)
		}
		if m.State != nil {
			t.Errorf("%s: a cancelled fit left a state", pen)
		}
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	stopAfter := &cancelAfter{n: 3, cancel: func() { cancel(errBudget) }}
	loss := newLogisticLoss(X, y, ones(500), 3)
	theta := make([]float64, loss.dim())
	counting := &countingCtx{Context: ctx, hook: stopAfter}
	if _, _, err := l1Solve(counting, loss, 0.01, theta, 1000, 1e-12); !errors.Is(err, errBudget) {
		t.Errorf("context cancelled during FISTA: %v", err)
	}
}

// countingCtx calls hook each time Err is asked, so a test can cancel a
// context part way through a fit.
type countingCtx struct {
	context.Context
	hook *cancelAfter
}

type cancelAfter struct {
	n      int
	cancel func()
}

func (c *countingCtx) Err() error {
	c.hook.n--
	if c.hook.n == 0 {
		c.hook.cancel()
	}
	return c.Context.Err()
}

func ones(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1
	}
	return w
}

func TestLogisticDeterministic(t *testing.T) {
	X, y := modelstest.Synthetic(3, 2000, 10, 4)
	var first *State
	for _, workers := range []int{1, 2} {
		for _, pen := range []string{"l2", "l1"} {
			m := New(Params{C: 1, Penalty: pen}, models.Setup{Classes: 4, Workers: workers})
			if err := m.Fit(context.Background(), X, y, nil); err != nil {
				t.Fatal(err)
			}
			if !m.State.Converged {
				t.Errorf("%s did not converge in %d iterations", pen, m.State.Iter)
			}
			if pen == "l2" {
				if first != nil && !reflect.DeepEqual(first, m.State) {
					t.Error("two fits differ")
				}
				first = m.State
			}
		}
	}
}

// TestL1Sparsity checks that a strong L1 penalty zeroes coefficients of
// pure-noise features and that the optimality conditions hold.
func TestL1Sparsity(t *testing.T) {
	X, y := modelstest.Synthetic(4, 1000, 4, 2)
	noisy := mat.NewDense(1000, 8, nil)
	r := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < 1000; i++ {
		for j := 0; j < 8; j++ {
			v := r.NormFloat64()
			if j < 4 {
				v = X.At(i, j)
			}
			noisy.Set(i, j, v)
		}
	}
	m := New(Params{C: 0.01, Penalty: "l1", Tol: 1e-9, MaxIter: 100000}, models.Setup{Classes: 2})
	if err := m.Fit(context.Background(), noisy, y, nil); err != nil {
		t.Fatal(err)
	}
	zeros := 0
	for _, v := range m.State.Coef[0][4:] {
		if v == 0 {
			zeros++
		}
	}
	if zeros < 3 {
		t.Errorf("only %d of 4 noise coefficients are zero: %v", zeros, m.State.Coef[0])
	}
	loss := newLogisticLoss(noisy, y, ones(1000), 2)
	theta := append(append([]float64(nil), m.State.Coef[0]...), m.State.Intercept...)
	g := make([]float64, len(theta))
	loss.eval(theta, g)
	if s := subgradientNorm(theta, g, 8, 1/(0.01*1000)); s > 1e-9 {
		t.Errorf("subgradient norm at the solution %g", s)
	}
}
