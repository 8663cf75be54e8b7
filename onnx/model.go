package onnx

import (
	"errors"
	"fmt"
	"math"

	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/decisiontree"
	"github.com/goautoml/automl/models/extratrees"
	"github.com/goautoml/automl/models/gbdt"
	"github.com/goautoml/automl/models/knn"
	"github.com/goautoml/automl/models/logistic"
	"github.com/goautoml/automl/models/naivebayes"
	"github.com/goautoml/automl/models/randomforest"
	"github.com/goautoml/automl/models/tree"
)

// ErrUnsupported is returned (wrapped, with the reason) for a model or an
// input that ONNX cannot express exactly.
var ErrUnsupported = errors.New("onnx: cannot be exported exactly")

// ensembler is what fitted and loaded tree classifiers provide.
type ensembler interface {
	Ensemble() *tree.Ensemble
}

// proba adds the nodes that score feature matrix x with classifier c and
// returns the name of the [N, classes] probabilities.
func (g *graph) proba(x string, family models.Family, c models.Classifier, classes int) (string, error) {
	switch m := c.(type) {
	case *logistic.Classifier:
		if m.State == nil {
			return "", fmt.Errorf("onnx: logistic model is not fitted")
		}
		return g.logistic(x, m.State)
	case *naivebayes.Classifier:
		if m.State == nil {
			return "", fmt.Errorf("onnx: naive bayes model is not fitted")
		}
		return g.bayes(x, m.State)
	case *knn.Classifier:
		return "", fmt.Errorf("%w: family %s (k-nearest neighbours: its tie rules and distances have no exact ONNX form); exportable families: %s, %s, %s, %s, %s, %s",
			ErrUnsupported, knn.Name, logistic.Name, naivebayes.Name, decisiontree.Name, randomforest.Name, extratrees.Name, gbdt.Name)
	case ensembler:
		e := m.Ensemble()
		if e == nil {
			return "", fmt.Errorf("onnx: %s model is not fitted", family)
		}
		if e.Classes != classes {
			return "", fmt.Errorf("onnx: %s model has %d classes, the bundle %d", family, e.Classes, classes)
		}
		return g.trees(x, e)
	}
	return "", fmt.Errorf("%w: family %s (classifier %T)", ErrUnsupported, family, c)
}

// binary turns [N, 1] probabilities of class 1 into [N, 2].
func (g *graph) binary(p1 string) string {
	p0 := g.node("Sub", []string{g.scalar(1), p1})
	return g.node("Concat", []string{p0, p1}, intAttr("axis", 1))
}

func (g *graph) logistic(x string, st *logistic.State) (string, error) {
	rows, d := len(st.Coef), st.Features
	w := make([]float64, d*rows) // [d, rows]: X · W
	for k, row := range st.Coef {
		for j, v := range row {
			w[j*rows+k] = v
		}
	}
	z := g.node("MatMul", []string{x, g.doubles("coef", []int64{int64(d), int64(rows)}, w)})
	z = g.node("Add", []string{z, g.doubles("intercept", []int64{int64(rows)}, st.Intercept)})
	if rows == 1 {
		return g.binary(g.node("Sigmoid", []string{z})), nil
	}
	return g.node("Softmax", []string{z}, intAttr("axis", 1)), nil
}

// bayes writes the joint log-likelihood as models.BayesClassifier computes
// it: log prior - 0.5 Σ log(2π var) - 0.5 Σ (x - θ)²/var over the Gaussian
// columns, plus the log probability of each categorical column's code.
func (g *graph) bayes(x string, st *naivebayes.State) (string, error) {
	K := st.Classes
	total := 0.0
	for _, v := range st.ClassWeight {
		total += v
	}
	base := make([]float64, K)
	for c := range K {
		base[c] = math.Log(st.ClassWeight[c] / total)
		s := 0.0
		for _, v := range st.Var[c] {
			s += math.Log(2 * math.Pi * v)
		}
		base[c] -= 0.5 * s
	}
	jll := g.doubles("base", []int64{int64(K)}, base)
	if G := len(st.Gaussian); G > 0 {
		idx := make([]int64, G)
		for f, j := range st.Gaussian {
			idx[f] = int64(j)
		}
		theta := make([]float64, 0, K*G)
		vars := make([]float64, 0, K*G)
		for c := range K {
			theta = append(theta, st.Theta[c]...)
			vars = append(vars, st.Var[c]...)
		}
		xg := g.node("Gather", []string{x, g.ints("gaussian", idx...)}, intAttr("axis", 1))
		xg = g.node("Unsqueeze", []string{xg, g.ints("axes", 1)}) // [N, 1, G]
		dev := g.node("Sub", []string{xg, g.doubles("theta", []int64{int64(K), int64(G)}, theta)})
		sq := g.node("Div", []string{g.node("Mul", []string{dev, dev}), g.doubles("var", []int64{int64(K), int64(G)}, vars)})
		s := g.node("ReduceSum", []string{sq, g.ints("axes", 2)}, intAttr("keepdims", 0)) // [N, K]
		jll = g.node("Sub", []string{jll, g.node("Mul", []string{s, g.scalar(0.5)})})
	}
	for f, j := range st.Categorical {
		card := st.Cardinality[f]
		table := make([]float64, card*K) // [code, class]
		for c := range K {
			for v := range card {
				table[v*K+c] = st.LogProb[c][f][v]
			}
		}
		col := g.node("Gather", []string{x, g.constant("col", int64Tensor(nil, []int64{int64(j)}))}, intAttr("axis", 1))
		codes := g.node("Cast", []string{col}, intAttr("to", tInt64))
		lp := g.node("Gather", []string{g.doubles("log_prob", []int64{int64(card), int64(K)}, table), codes}, intAttr("axis", 0))
		jll = g.node("Add", []string{jll, lp})
	}
	return g.node("Softmax", []string{jll}, intAttr("axis", 1)), nil
}
