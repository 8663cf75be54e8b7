// Package golearn puts classifiers of github.com/sjwhitworth/golearn into
// the search as opt-in model families, and runs the search on a golearn
// data grid.
//
// A Go user who has a golearn model registers it under a name of their own:
//
//	golearn.Register("id3", "ID3 tree (golearn)", func(seed uint64) base.Classifier {
//		return trees.NewID3DecisionTree(0)
//	})
//
// and names it in Config.Include (or --include of a program that made the
// registration). Its trials are then scored, ranked, explained and saved
// as every other family's: the adapter converts the search's numeric
// matrix into a golearn grid of float attributes (x0, x1, ...) with a
// categorical class attribute whose values are the class indices "0",
// "1", ...
//
// golearn's limits, as the adapter meets them:
//   - Probabilities: a classifier with a PredictProba method of golearn's
//     trees.ClassesProba form (trees.ID3DecisionTree) gives class
//     probabilities, asked one row at a time as that method requires;
//     every other classifier predicts labels only, and the adapter turns a
//     label into a one-hot probability row. Metrics that rank (ROC AUC,
//     PR AUC, log loss) are then those of hard predictions.
//   - Sample weights are not passed on (golearn has none), so the class
//     weights the imbalance guardrail sets do not reach these models.
//   - Determinism: many golearn learners draw from the global math/rand
//     (random trees and forests, ID3 with pruning, bagging), which no seed
//     fixes since Go 1.24; such a family gives different results on every
//     run. The factory is handed the trial's seed for learners that take
//     one. ID3 without pruning is deterministic.
//   - Saving: the fitted model is written with golearn's own serializer
//     (SaveWithPrefix into a gzipped tar, model.golearn) and read back with
//     LoadWithPrefix; a learner whose serialization golearn does not
//     implement fails to save, and its trials keep no bundle.
//   - Panics inside golearn (it panics on input it does not expect) are
//     turned into errors, so a trial fails instead of the search.
//   - Parts of golearn need cgo (knn, linear_models); this package uses
//     only golearn's base and trees packages, which do not.
package golearn

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"

	"github.com/sjwhitworth/golearn/base"
	"github.com/sjwhitworth/golearn/trees"
	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/models"
)

// Factory makes a fresh, unfitted golearn classifier; seed is the trial's.
type Factory func(seed uint64) base.Classifier

// Params are the family's hyperparameters: none of the search's own (the
// factory holds the classifier's), so the search varies only the
// preprocessing.
type Params struct{}

// Validate implements models.Params.
func (*Params) Validate() error { return nil }

var validName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Register registers an opt-in family named name (lower case letters,
// digits and _) whose models the factory makes. Like models.Register, it
// panics on a name already taken, and is meant for an init function or the
// start of main.
func Register(name models.Family, label string, factory Factory) {
	if !validName.MatchString(string(name)) || factory == nil {
		panic(fmt.Sprintf("golearn: Register(%q): want a name of lower case letters, digits and _, and a factory", name))
	}
	models.Register(&models.Descriptor{
		Name:      name,
		Label:     label,
		Order:     1000,
		OptIn:     true,
		NewParams: func() models.Params { return &Params{} },
		Default:   func() models.Params { return &Params{} },
		New: func(_ models.Params, s models.Setup) (models.Classifier, error) {
			return &Classifier{Family: name, Factory: factory, Setup: s}, nil
		},
		Save: func(dir string, _ models.Params, c models.Classifier) error {
			m, ok := c.(*Classifier)
			if !ok || m.Model == nil {
				return fmt.Errorf("models: save %s: classifier is a %T, not a fitted %s model", name, c, name)
			}
			return m.save(dir)
		},
		Load: func(dir string, _ models.Params, s models.Setup) (models.Classifier, error) {
			return load(dir, name, factory, s)
		},
		Space: space,
	})
}

// space: the encoding of categorical columns is the only choice.
func space(models.Shape) models.Space {
	return models.Space{
		Start: []models.Values{models.Vals(nil, map[string]string{"encoding": "onehot"})},
		Dims:  []models.Dim{{Name: "encoding", Choices: []string{"onehot", "ordinal"}}},
		Build: func(v models.Values) (models.Params, models.Prep) {
			return &Params{}, models.Prep{Encoding: v.Choice["encoding"]}
		},
	}
}

// Classifier adapts a golearn classifier to models.Classifier.
type Classifier struct {
	Family   models.Family
	Factory  Factory
	Setup    models.Setup
	Model    base.Classifier // nil until fitted
	Features int
}

// prober is golearn's probability method (trees.ID3DecisionTree has it).
type prober interface {
	PredictProba(base.FixedDataGrid) (trees.ClassesProba, error)
}

// grid converts rows of X (and their classes; nil: class 0 for every
// row, a placeholder golearn's Predict needs) into a golearn grid.
func grid(X *mat.Dense, y []int, classes int) (*base.DenseInstances, error) {
	n, d := X.Dims()
	g := base.NewDenseInstances()
	specs := make([]base.AttributeSpec, d)
	for j := range d {
		specs[j] = g.AddAttribute(base.NewFloatAttribute("x" + strconv.Itoa(j)))
	}
	class := base.NewCategoricalAttribute()
	class.SetName("class")
	codes := make([][]byte, classes)
	for k := range classes {
		codes[k] = class.GetSysValFromString(strconv.Itoa(k))
	}
	cs := g.AddAttribute(class)
	if err := g.AddClassAttribute(class); err != nil {
		return nil, err
	}
	if err := g.Extend(n); err != nil {
		return nil, err
	}
	for i := range n {
		for j, v := range X.RawRowView(i) {
			g.Set(specs[j], i, base.PackFloatToBytes(v))
		}
		k := 0
		if y != nil {
			k = y[i]
		}
		g.Set(cs, i, codes[k])
	}
	return g, nil
}

// guard runs f, turning a panic inside golearn into an error.
func guard(what string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("golearn %s panicked: %v", what, r)
		}
	}()
	return f()
}

// Fit implements models.Classifier. Sample weights are not passed on.
func (m *Classifier) Fit(ctx context.Context, X *mat.Dense, y []int, _ []float64) error {
	if _, err := models.TrainWeights(X, y, nil, m.Setup); err != nil {
		return fmt.Errorf("models: %s: %w", m.Family, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("models: %s: %w", m.Family, context.Cause(ctx))
	}
	g, err := grid(X, y, m.Setup.Classes)
	if err != nil {
		return fmt.Errorf("models: %s: %w", m.Family, err)
	}
	c := m.Factory(m.Setup.Seed)
	if err := guard("fit", func() error { return c.Fit(g) }); err != nil {
		return fmt.Errorf("models: %s: %w", m.Family, err)
	}
	_, m.Features = X.Dims()
	m.Model = c
	return nil
}

// PredictProba implements models.Classifier: golearn's probabilities when
// the model has them, else one-hot rows of its predicted labels.
func (m *Classifier) PredictProba(X *mat.Dense) (*mat.Dense, error) {
	if err := models.CheckPredict(X, m.Features, m.Model != nil); err != nil {
		return nil, fmt.Errorf("models: %s: %w", m.Family, err)
	}
	n, _ := X.Dims()
	K := m.Setup.Classes
	g, err := grid(X, nil, K)
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", m.Family, err)
	}
	P := mat.NewDense(n, K, nil)
	class := func(s string) (int, error) {
		k, err := strconv.Atoi(s)
		if err != nil || k < 0 || k >= K {
			return 0, fmt.Errorf("golearn predicted class %q, want 0..%d", s, K-1)
		}
		return k, nil
	}
	if p, ok := m.Model.(prober); ok {
		err = guard("predict", func() error {
			attrs := g.AllAttributes()
			for i := range n {
				probs, err := p.PredictProba(base.NewInstancesViewFromVisible(g, []int{i}, attrs))
				if err != nil {
					return err
				}
				for _, cp := range probs {
					k, err := class(cp.ClassValue)
					if err != nil {
						return err
					}
					P.Set(i, k, cp.Probability)
				}
			}
			return nil
		})
	} else {
		err = guard("predict", func() error {
			pred, err := m.Model.Predict(g)
			if err != nil {
				return err
			}
			for i := range n {
				k, err := class(base.GetClass(pred, i))
				if err != nil {
					return err
				}
				P.Set(i, k, 1)
			}
			return nil
		})
	}
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", m.Family, err)
	}
	for i := range n {
		row, s := P.RawRowView(i), 0.0
		for _, v := range row {
			s += v
		}
		if !(math.Abs(s-1) < 1e-9) {
			return nil, fmt.Errorf("models: %s: row %d: golearn probabilities sum to %v", m.Family, i, s)
		}
	}
	return P, nil
}
