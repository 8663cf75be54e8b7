package automl

import (
	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/preprocess"
)

// prepDims are the preprocessing choices the search adds after every
// family's own dimensions.
var prepDims = []models.Dim{
	{Name: "numeric_impute", Choices: []string{"mean", "median"}},
}

// space is a family's search space as the search uses it: the family's
// dimensions followed by prepDims, and a point built into a pipeline and a
// model spec.
type space struct {
	family models.Family
	start  []models.Values
	dims   []models.Dim
	build  func(v models.Values) (models.Params, models.Prep)
}

// spaceOf asks family f's descriptor for its space on data of the given
// shape. It panics on an unregistered family: Config.Validate refuses them.
func spaceOf(f models.Family, shape models.Shape) space {
	d, ok := models.Lookup(f)
	if !ok {
		panic("automl: search over unregistered family " + string(f))
	}
	s := d.Space(shape)
	return space{
		family: f,
		start:  s.Start,
		dims:   append(append([]models.Dim(nil), s.Dims...), prepDims...),
		build:  s.Build,
	}
}

// point builds the pipeline and model spec of point v on top of base (the
// columns and category cap the guardrails decided).
//
// Without categorical columns the categorical encoding changes nothing: it
// is set to its first choice, so that points differing only there are the
// same trial (and the search's duplicate check draws another).
func (s space) point(v models.Values, base preprocess.Spec) (preprocess.Spec, models.Spec) {
	if _, ok := v.Choice[encodingChoice]; ok && !hasCategorical(base) {
		for _, d := range s.dims {
			if d.Name == encodingChoice && len(d.Choices) > 0 && v.Choice[encodingChoice] != d.Choices[0] {
				v = v.Clone()
				v.Choice[encodingChoice] = d.Choices[0]
			}
		}
	}
	m, want := s.build(v)
	return prep(base, v, want), models.Spec{Family: s.family, Params: m}
}

// withFirstChoices returns v with every choice it leaves open set to its
// first option (the preprocessing among them), as starting points are tried.
func (s space) withFirstChoices(v models.Values) models.Values {
	v = v.Clone()
	for _, d := range s.dims {
		if _, ok := v.Choice[d.Name]; !ok && len(d.Choices) > 0 {
			v.Choice[d.Name] = d.Choices[0]
		}
	}
	return v
}

// encodingChoice is the name of the families' categorical-encoding choice.
const encodingChoice = "encoding"

// hasCategorical reports whether base encodes any categorical column.
func hasCategorical(base preprocess.Spec) bool {
	for _, c := range base.Columns {
		if c.Kind == dataset.Categorical {
			return true
		}
	}
	return false
}

func prep(base preprocess.Spec, v models.Values, want models.Prep) preprocess.Spec {
	p := base
	p.NumericImpute = v.Choice["numeric_impute"]
	if p.NumericImpute == "" {
		p.NumericImpute = "mean"
	}
	p.Scale = want.Scale
	p.CategoricalImpute = "most_frequent"
	p.Encoding = want.Encoding
	return p
}

// Shape is the shape of the data a prepared experiment searches over, as
// the families' search spaces see it.
func (p *Prepared) Shape() models.Shape {
	sp := p.Data.Split
	rows := len(sp.Train) // with cross-validation, the folds partition Train∪Val
	if len(sp.Folds) > 0 {
		rows += len(sp.Val)
	}
	s := models.Shape{Rows: rows, Features: len(p.Base.Columns), Classes: len(p.Data.Target.Classes)}
	// The columns' bins and sparsity, from the profile of every row: what
	// a tree's histograms cost depends on them (54 columns of which 44 are
	// rare indicators make a boosted model a third as costly as 54 dense ones).
	//
	// Not on samples: the halving's cost caps (a sixth of the budget to
	// promote, a twelfth to start) were set with the dense-column figures
	// on the 1,000,000 × 20 table, and with the columns' figures they let a
	// 300-tree extra-trees forest start on the first rung (4 s of fit, 10 s
	// of a slot with its bundle): 28 trials in 60 s instead of 55. They
	// keep those figures until they are measured again.
	if p.Experiment == nil || p.Experiment.Profile == nil || (p.Data != nil && p.Data.Sampling != nil) {
		return s
	}
	byName := make(map[string]*dataset.ColumnProfile, len(p.Experiment.Profile.Columns))
	for i := range p.Experiment.Profile.Columns {
		c := &p.Experiment.Profile.Columns[i]
		byName[c.Name] = c
	}
	for _, in := range p.Base.Columns {
		c, ok := byName[in.Name]
		if !ok {
			return models.Shape{Rows: s.Rows, Features: s.Features, Classes: s.Classes}
		}
		top := 0
		if len(c.Top) > 0 {
			top = c.Top[0].Count
		}
		s.AddColumn(c.Distinct, top, c.Missing, c.Count)
	}
	return s
}
