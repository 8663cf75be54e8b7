package explain

import (
	"encoding/json"
	"math"
	"os"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/models/tree"
)

// xgbCase is a file written by testdata/make_xgboost.py.
type xgbCase struct {
	Classes  int           `json:"classes"`
	Features int           `json:"features"`
	Rows     [][]*float64  `json:"rows"`
	Contribs [][][]float64 `json:"contribs"` // row, output, feature (+ bias last)
	Margin   [][]float64   `json:"margin"`
	Model    struct {
		Learner struct {
			Param struct {
				BaseScore string `json:"base_score"`
			} `json:"learner_model_param"`
			Booster struct {
				Model struct {
					Trees    []xgbTree `json:"trees"`
					TreeInfo []int     `json:"tree_info"`
				} `json:"model"`
			} `json:"gradient_booster"`
		} `json:"learner"`
	} `json:"model"`
}

type xgbTree struct {
	Left        []int     `json:"left_children"`
	Right       []int     `json:"right_children"`
	Feature     []int     `json:"split_indices"`
	Cond        []float64 `json:"split_conditions"`
	DefaultLeft []int     `json:"default_left"`
	Hessian     []float64 `json:"sum_hessian"`
}

// f32 rounds a value read from XGBoost's JSON to the float32 XGBoost holds.
func f32(v float64) float64 { return float64(float32(v)) }

// convert turns an XGBoost tree into ours, renumbering nodes depth first.
// XGBoost sends x < cond left; with float32 x, that is x <= the float64
// just below cond.
func (xt xgbTree) convert() tree.Tree {
	var t tree.Tree
	var walk func(i int) int
	walk = func(i int) int {
		at := len(t.Nodes)
		t.Nodes = append(t.Nodes, tree.Node{Left: -1, Right: -1, Feature: -1, Cover: f32(xt.Hessian[i])})
		if xt.Left[i] < 0 {
			t.Nodes[at].Value = f32(xt.Cond[i])
			return at
		}
		n := tree.Node{Feature: xt.Feature[i], Threshold: math.Nextafter(f32(xt.Cond[i]), math.Inf(-1)),
			DefaultLeft: xt.DefaultLeft[i] == 1, Cover: f32(xt.Hessian[i])}
		n.Left = walk(xt.Left[i])
		n.Right = walk(xt.Right[i])
		t.Nodes[at] = n
		return at
	}
	walk(0)
	return t
}

func loadXGB(t *testing.T, name string) (*xgbCase, *tree.Ensemble, *mat.Dense) {
	raw, err := os.ReadFile("testdata/xgb_" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var c xgbCase
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	outputs := 1
	if c.Classes > 2 {
		outputs = c.Classes
	}
	base, err := strconv.ParseFloat(c.Model.Learner.Param.BaseScore, 64)
	if err != nil {
		t.Fatal(err)
	}
	init := make([]float64, outputs)
	for k := range init {
		init[k] = f32(base)
		if outputs == 1 {
			init[k] = math.Log(base / (1 - base))
		}
	}
	m := c.Model.Learner.Booster.Model
	e := &tree.Ensemble{Outputs: outputs, Classes: c.Classes, Features: c.Features, InitScore: init, Link: tree.Logistic}
	if outputs > 1 {
		e.Link = tree.Softmax
	}
	// Our ensembles are iteration-major; XGBoost's tree_info gives each
	// tree's output, in the same order.
	for i, xt := range m.Trees {
		if m.TreeInfo[i] != i%outputs {
			t.Fatalf("tree %d feeds output %d, expected iteration-major order", i, m.TreeInfo[i])
		}
		e.Trees = append(e.Trees, xt.convert())
	}
	X := mat.NewDense(len(c.Rows), c.Features, nil)
	for i, r := range c.Rows {
		for j, v := range r {
			if v == nil {
				X.Set(i, j, math.NaN())
			} else {
				X.Set(i, j, *v)
			}
		}
	}
	return &c, e, X
}

// TestTreeSHAPMatchesXGBoost compares with XGBoost 1.7.4's pred_contribs on
// models converted from XGBoost's JSON format.
func TestTreeSHAPMatchesXGBoost(t *testing.T) {
	for _, name := range []string{"binary", "multiclass", "deep"} {
		c, e, X := loadXGB(t, name)
		ex, err := NewTreeExplainer(e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ex.Explain(X, 2)
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for i := range c.Rows {
			for k := range e.Outputs {
				want := c.Contribs[i][k]
				if d := math.Abs(got.Raw[k][i] - c.Margin[i][k]); d > 1e-5 {
					t.Fatalf("%s row %d output %d: margin %.9g, XGBoost %.9g: tree conversion is wrong", name, i, k, got.Raw[k][i], c.Margin[i][k])
				}
				for j := range c.Features {
					worst = max(worst, math.Abs(got.Phi[k].At(i, j)-want[j]))
				}
				worst = max(worst, math.Abs(got.Base[k]-want[c.Features]))
			}
		}
		t.Logf("%s: %d trees, largest difference from pred_contribs %.3g", name, len(e.Trees), worst)
		if worst > 1e-6 {
			t.Errorf("%s: contributions differ from XGBoost's by up to %.3g, want <= 1e-6", name, worst)
		}
	}
}
