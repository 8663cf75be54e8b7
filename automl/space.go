package automl

import (
	"math"
	"math/rand/v2"

	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/tree"
	"github.com/goautoml/automl/preprocess"
)

// Dim is one dimension of a search space: a float range (log-uniform when
// Log), an integer range (Int), or a list of choices.
type Dim struct {
	Name    string   `json:"name"`
	Lo      float64  `json:"lo,omitempty"`
	Hi      float64  `json:"hi,omitempty"`
	Log     bool     `json:"log,omitempty"`
	Int     bool     `json:"int,omitempty"`
	Choices []string `json:"choices,omitempty"`
}

// Values are one point of a space: numbers by name, choices by name.
type Values struct {
	Num    map[string]float64
	Choice map[string]string
}

func (v Values) i(name string) int { return int(math.Round(v.Num[name])) }

// Sample draws a point uniformly (log-uniformly for Log dims) from dims.
func Sample(r *rand.Rand, dims []Dim) Values {
	v := Values{Num: map[string]float64{}, Choice: map[string]string{}}
	for _, d := range dims {
		switch {
		case len(d.Choices) > 0:
			v.Choice[d.Name] = d.Choices[r.IntN(len(d.Choices))]
		case d.Log:
			x := math.Exp(math.Log(d.Lo) + r.Float64()*(math.Log(d.Hi)-math.Log(d.Lo)))
			if d.Int {
				x = math.Round(x)
			}
			v.Num[d.Name] = x
		case d.Int:
			v.Num[d.Name] = float64(int(d.Lo) + r.IntN(int(d.Hi-d.Lo)+1))
		default:
			v.Num[d.Name] = d.Lo + r.Float64()*(d.Hi-d.Lo)
		}
	}
	return v
}

// Space is a family's search space: a cheap starting point tried first (few
// trees, few leaves, as FLAML starts), the dimensions sampled after it, and
// how a point becomes a pipeline and a model spec.
type Space struct {
	Family models.Family
	// Start holds the starting points, cheapest first.
	Start []Values
	Dims  []Dim
	Build func(v Values, base preprocess.Spec) (preprocess.Spec, models.Spec)
}

var prepDims = []Dim{
	{Name: "numeric_impute", Choices: []string{"mean", "median"}},
}

func vals(num map[string]float64, choice map[string]string) Values {
	if num == nil {
		num = map[string]float64{}
	}
	if choice == nil {
		choice = map[string]string{}
	}
	return Values{Num: num, Choice: choice}
}

func prep(base preprocess.Spec, v Values, scale bool, encoding string) preprocess.Spec {
	p := base
	p.NumericImpute = v.Choice["numeric_impute"]
	if p.NumericImpute == "" {
		p.NumericImpute = "mean"
	}
	p.Scale = scale
	p.CategoricalImpute = "most_frequent"
	p.Encoding = encoding
	return p
}

// Spaces are the search spaces of every family, declared as data.
var Spaces = map[models.Family]Space{
	models.Logistic: {
		Family: models.Logistic,
		Start:  []Values{vals(map[string]float64{"c": 1}, map[string]string{"penalty": "l2"})},
		Dims: append([]Dim{
			{Name: "c", Lo: 1e-3, Hi: 100, Log: true},
			{Name: "penalty", Choices: []string{"l2", "l2", "l1"}},
		}, prepDims...),
		Build: func(v Values, base preprocess.Spec) (preprocess.Spec, models.Spec) {
			return prep(base, v, true, "onehot"), models.Spec{Family: models.Logistic, Logistic: &models.LogisticParams{
				C: v.Num["c"], Penalty: v.Choice["penalty"], MaxIter: 200, Tol: 1e-4}}
		},
	},
	models.NaiveBayes: {
		Family: models.NaiveBayes,
		Start:  []Values{vals(map[string]float64{"alpha": 1, "var_smoothing": 1e-9}, map[string]string{"kind": "categorical"})},
		Dims: append([]Dim{
			{Name: "kind", Choices: []string{"gaussian", "categorical"}},
			{Name: "alpha", Lo: 0.01, Hi: 10, Log: true},
			{Name: "var_smoothing", Lo: 1e-11, Hi: 1e-1, Log: true},
		}, prepDims...),
		Build: func(v Values, base preprocess.Spec) (preprocess.Spec, models.Spec) {
			enc := "ordinal"
			if v.Choice["kind"] == "gaussian" {
				enc = "onehot"
			}
			return prep(base, v, false, enc), models.Spec{Family: models.NaiveBayes, NaiveBayes: &models.NaiveBayesParams{
				Kind: v.Choice["kind"], Alpha: v.Num["alpha"], VarSmoothing: v.Num["var_smoothing"]}}
		},
	},
	models.KNN: {
		Family: models.KNN,
		Start:  []Values{vals(map[string]float64{"k": 15}, map[string]string{"weights": "distance"})},
		Dims: append([]Dim{
			{Name: "k", Lo: 3, Hi: 100, Log: true, Int: true},
			{Name: "weights", Choices: []string{"uniform", "distance"}},
		}, prepDims...),
		Build: func(v Values, base preprocess.Spec) (preprocess.Spec, models.Spec) {
			return prep(base, v, true, "onehot"), models.Spec{Family: models.KNN, KNN: &models.KNNParams{
				K: v.i("k"), Weights: v.Choice["weights"], Metric: "euclidean"}}
		},
	},
	models.DecisionTree: {
		Family: models.DecisionTree,
		Start:  []Values{vals(map[string]float64{"max_depth": 4, "min_samples_leaf": 10}, map[string]string{"criterion": "gini", "encoding": "onehot"})},
		Dims: append([]Dim{
			{Name: "criterion", Choices: []string{"gini", "entropy"}},
			{Name: "max_depth", Lo: 2, Hi: 16, Int: true},
			{Name: "min_samples_leaf", Lo: 1, Hi: 100, Log: true, Int: true},
			{Name: "encoding", Choices: []string{"onehot", "ordinal"}},
		}, prepDims...),
		Build: func(v Values, base preprocess.Spec) (preprocess.Spec, models.Spec) {
			return prep(base, v, false, v.Choice["encoding"]), models.Spec{Family: models.DecisionTree, DecisionTree: &tree.TreeParams{
				Criterion: v.Choice["criterion"], MaxDepth: v.i("max_depth"), MinSamplesLeaf: v.i("min_samples_leaf"),
				MaxBins: 255, CategoricalSplits: v.Choice["encoding"] == "ordinal"}}
		},
	},
	models.GBDT: {
		Family: models.GBDT,
		Start: []Values{vals(map[string]float64{"rounds": 50, "learning_rate": 0.1, "num_leaves": 4, "min_data_in_leaf": 20,
			"l2": 1, "feature_fraction": 1, "bagging_fraction": 1}, map[string]string{"encoding": "onehot"})},
		Dims: append([]Dim{
			{Name: "rounds", Lo: 20, Hi: 1000, Log: true, Int: true},
			{Name: "learning_rate", Lo: 0.01, Hi: 0.3, Log: true},
			{Name: "num_leaves", Lo: 4, Hi: 128, Log: true, Int: true},
			{Name: "min_data_in_leaf", Lo: 2, Hi: 100, Log: true, Int: true},
			{Name: "l2", Lo: 1e-3, Hi: 100, Log: true},
			{Name: "feature_fraction", Lo: 0.5, Hi: 1},
			{Name: "bagging_fraction", Lo: 0.5, Hi: 1},
			{Name: "encoding", Choices: []string{"onehot", "ordinal"}},
		}, prepDims...),
		Build: func(v Values, base preprocess.Spec) (preprocess.Spec, models.Spec) {
			bf := v.Num["bagging_fraction"]
			freq := 0
			if bf < 1 {
				freq = 1
			}
			return prep(base, v, false, v.Choice["encoding"]), models.Spec{Family: models.GBDT, GBDT: &tree.GBDTParams{
				Rounds: v.i("rounds"), LearningRate: v.Num["learning_rate"], NumLeaves: v.i("num_leaves"), Growth: "leafwise",
				MinDataInLeaf: v.i("min_data_in_leaf"), MinSumHessian: 1e-3, L2: v.Num["l2"],
				FeatureFraction: v.Num["feature_fraction"], BaggingFraction: bf, BaggingFreq: freq,
				MaxBins: 255, Binning: tree.BinQuantile, EarlyStoppingRounds: 20, CategoricalSplits: v.Choice["encoding"] == "ordinal"}}
		},
	},
	models.RandomForest: forestSpace(models.RandomForest),
	models.ExtraTrees:   forestSpace(models.ExtraTrees),
}

func forestSpace(f models.Family) Space {
	return Space{
		Family: f,
		Start:  []Values{vals(map[string]float64{"trees": 20, "max_features": 0, "min_samples_leaf": 1, "max_leaves": 64}, map[string]string{"criterion": "gini", "encoding": "onehot"})},
		Dims: append([]Dim{
			{Name: "trees", Lo: 20, Hi: 300, Log: true, Int: true},
			{Name: "criterion", Choices: []string{"gini", "entropy"}},
			{Name: "max_features", Lo: 0.05, Hi: 1},
			{Name: "min_samples_leaf", Lo: 1, Hi: 20, Log: true, Int: true},
			{Name: "max_leaves", Lo: 16, Hi: 1024, Log: true, Int: true},
			{Name: "encoding", Choices: []string{"onehot", "ordinal"}},
		}, prepDims...),
		Build: func(v Values, base preprocess.Spec) (preprocess.Spec, models.Spec) {
			p := &tree.ForestParams{
				Trees: v.i("trees"), Criterion: v.Choice["criterion"], MaxFeatures: v.Num["max_features"],
				MinSamplesLeaf: v.i("min_samples_leaf"), MaxLeaves: v.i("max_leaves"), Bootstrap: f == models.RandomForest,
				MaxBins: 255, CategoricalSplits: v.Choice["encoding"] == "ordinal"}
			s := models.Spec{Family: f}
			if f == models.RandomForest {
				s.RandomForest = p
			} else {
				s.ExtraTrees = p
			}
			return prep(base, v, false, v.Choice["encoding"]), s
		},
	}
}
