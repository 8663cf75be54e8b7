package naivebayes

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/models"
)

// Params are the hyperparameters of naive Bayes.
//
// Kind "gaussian" models every column as a per-class normal distribution
// (scikit-learn's GaussianNB). Kind "categorical" is a mixed model: columns
// marked categorical in Setup get a per-class categorical distribution over
// codes 0..Cardinality-1 with additive smoothing Alpha (scikit-learn's
// CategoricalNB), and the other columns stay Gaussian; the class prior is
// counted once. With no categorical columns it equals "gaussian".
type Params struct {
	Kind string `json:"kind"` // "gaussian" | "categorical"
	// VarSmoothing adds VarSmoothing times the largest (unweighted,
	// population) variance of the Gaussian columns to every variance.
	VarSmoothing float64 `json:"var_smoothing"`
	// Alpha is the additive smoothing of category counts; values below
	// 1e-10 are raised to 1e-10, as scikit-learn does.
	Alpha float64 `json:"alpha"`
}

func (p *Params) Validate() error {
	switch {
	case p.Kind != "gaussian" && p.Kind != "categorical":
		return fmt.Errorf("kind %q, want gaussian or categorical", p.Kind)
	case !(p.VarSmoothing >= 0) || math.IsInf(p.VarSmoothing, 1):
		return fmt.Errorf("var_smoothing %v, want a finite value >= 0", p.VarSmoothing)
	case !(p.Alpha >= 0) || math.IsInf(p.Alpha, 1):
		return fmt.Errorf("alpha %v, want a finite value >= 0", p.Alpha)
	}
	return nil
}

// State is the fitted state of naive Bayes.
type State struct {
	Classes     int           `json:"classes"`
	Features    int           `json:"features"`
	ClassWeight []float64     `json:"class_weight"` // summed sample weight per class
	Gaussian    []int         `json:"gaussian"`     // Gaussian columns
	Theta       [][]float64   `json:"theta"`        // class × Gaussian column: mean
	Var         [][]float64   `json:"var"`          // class × Gaussian column: variance incl. smoothing
	Categorical []int         `json:"categorical"`  // categorical columns
	Cardinality []int         `json:"cardinality"`  // per categorical column
	LogProb     [][][]float64 `json:"log_prob"`     // class × categorical column × code
}

// Classifier is a Gaussian, categorical or mixed naive Bayes model.
type Classifier struct {
	Params Params
	Setup  models.Setup
	State  *State // nil until fitted
}

// New returns an unfitted naive Bayes model.
func New(p Params, setup models.Setup) *Classifier {
	return &Classifier{Params: p, Setup: setup}
}

// Fit estimates the per-class distributions with sample weights w.
func (m *Classifier) Fit(ctx context.Context, X *mat.Dense, y []int, w []float64) error {
	if err := m.Params.Validate(); err != nil {
		return fmt.Errorf("models: naive_bayes: %w", err)
	}
	w, err := models.TrainWeights(X, y, w, m.Setup)
	if err != nil {
		return fmt.Errorf("models: naive_bayes: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("models: naive_bayes: %w", context.Cause(ctx))
	}
	n, d := X.Dims()
	K := m.Setup.Classes
	st := &State{Classes: K, Features: d, ClassWeight: make([]float64, K)}
	for j := 0; j < d; j++ {
		if m.Params.Kind == "categorical" && len(m.Setup.Categorical) > 0 && m.Setup.Categorical[j] {
			st.Categorical = append(st.Categorical, j)
			st.Cardinality = append(st.Cardinality, m.Setup.Cardinality[j])
		} else {
			st.Gaussian = append(st.Gaussian, j)
		}
	}
	if err := checkCodes(X, st, "training"); err != nil {
		return fmt.Errorf("models: naive_bayes: %w", err)
	}
	for i, c := range y {
		st.ClassWeight[c] += w[i]
	}
	if err := m.fitGaussian(X, y, w, st); err != nil {
		return fmt.Errorf("models: naive_bayes: %w", err)
	}
	alpha := math.Max(m.Params.Alpha, 1e-10)
	st.LogProb = make([][][]float64, K)
	for c := range st.LogProb {
		st.LogProb[c] = make([][]float64, len(st.Categorical))
		for f, card := range st.Cardinality {
			st.LogProb[c][f] = make([]float64, card)
		}
	}
	for i := 0; i < n; i++ {
		for f, j := range st.Categorical {
			st.LogProb[y[i]][f][int(X.At(i, j))] += w[i]
		}
	}
	for c := range st.LogProb {
		for f, card := range st.Cardinality {
			den := math.Log(st.ClassWeight[c] + alpha*float64(card))
			for v, cnt := range st.LogProb[c][f] {
				st.LogProb[c][f][v] = math.Log(cnt+alpha) - den
			}
		}
	}
	m.State = st
	return nil
}

// fitGaussian fills Theta and Var: weighted mean and weighted population
// variance per class, plus VarSmoothing times the largest unweighted
// variance of a Gaussian column (all as scikit-learn's GaussianNB).
func (m *Classifier) fitGaussian(X *mat.Dense, y []int, w []float64, st *State) error {
	n, _ := X.Dims()
	K, g := st.Classes, len(st.Gaussian)
	maxVar := 0.0
	for _, j := range st.Gaussian {
		mean := 0.0
		for i := 0; i < n; i++ {
			mean += X.At(i, j)
		}
		mean /= float64(n)
		v := 0.0
		for i := 0; i < n; i++ {
			e := X.At(i, j) - mean
			v += e * e
		}
		maxVar = math.Max(maxVar, v/float64(n))
	}
	eps := m.Params.VarSmoothing * maxVar
	st.Theta, st.Var = make([][]float64, K), make([][]float64, K)
	for c := 0; c < K; c++ {
		st.Theta[c], st.Var[c] = make([]float64, g), make([]float64, g)
	}
	for i := 0; i < n; i++ {
		for f, j := range st.Gaussian {
			st.Theta[y[i]][f] += w[i] * X.At(i, j)
		}
	}
	for c := 0; c < K; c++ {
		if st.ClassWeight[c] > 0 {
			for f := range st.Theta[c] {
				st.Theta[c][f] /= st.ClassWeight[c]
			}
		}
	}
	for i := 0; i < n; i++ {
		for f, j := range st.Gaussian {
			e := X.At(i, j) - st.Theta[y[i]][f]
			st.Var[y[i]][f] += w[i] * e * e
		}
	}
	for c := 0; c < K; c++ {
		for f, j := range st.Gaussian {
			if st.ClassWeight[c] > 0 {
				st.Var[c][f] /= st.ClassWeight[c]
			}
			st.Var[c][f] += eps
			if !(st.Var[c][f] > 0) && st.ClassWeight[c] > 0 {
				return fmt.Errorf("column %d has zero variance in class %d; raise var_smoothing above 0", j, c)
			}
			if st.ClassWeight[c] == 0 && !(st.Var[c][f] > 0) {
				st.Var[c][f] = 1 // the class never wins: its prior is 0
			}
		}
	}
	return nil
}

// checkCodes checks that categorical columns hold codes 0..cardinality-1.
func checkCodes(X *mat.Dense, st *State, what string) error {
	n, _ := X.Dims()
	for i := 0; i < n; i++ {
		for f, j := range st.Categorical {
			v := X.At(i, j)
			if v != math.Trunc(v) || v < 0 || v >= float64(st.Cardinality[f]) {
				return fmt.Errorf("%s row %d, column %d: category code %v, want an integer 0..%d",
					what, i, j, v, st.Cardinality[f]-1)
			}
		}
	}
	return nil
}

// PredictProba returns class probabilities.
func (m *Classifier) PredictProba(X *mat.Dense) (*mat.Dense, error) {
	st := m.State
	features := 0
	if st != nil {
		features = st.Features
	}
	if err := models.CheckPredict(X, features, st != nil); err != nil {
		return nil, fmt.Errorf("models: naive_bayes: %w", err)
	}
	if err := checkCodes(X, st, "input"); err != nil {
		return nil, fmt.Errorf("models: naive_bayes: %w", err)
	}
	n, _ := X.Dims()
	K := st.Classes
	total := 0.0
	for _, v := range st.ClassWeight {
		total += v
	}
	base := make([]float64, K) // log prior - 0.5 Σ log(2π var)
	for c := 0; c < K; c++ {
		base[c] = math.Log(st.ClassWeight[c] / total)
		s := 0.0
		for _, v := range st.Var[c] {
			s += math.Log(2 * math.Pi * v)
		}
		base[c] -= 0.5 * s
	}
	P := mat.NewDense(n, K, nil)
	jll := make([]float64, K)
	for i := 0; i < n; i++ {
		x := X.RawRowView(i)
		for c := 0; c < K; c++ {
			s := 0.0
			for f, j := range st.Gaussian {
				e := x[j] - st.Theta[c][f]
				s += e * e / st.Var[c][f]
			}
			jll[c] = base[c] - 0.5*s
			for f, j := range st.Categorical {
				jll[c] += st.LogProb[c][f][int(x[j])]
			}
		}
		models.SoftmaxInto(P.RawRowView(i), jll)
	}
	return P, nil
}
