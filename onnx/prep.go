package onnx

import (
	"fmt"

	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/preprocess"
)

// missingMarkers are the cell texts dataset and preprocess read as a
// missing value (dataset.IsMissingMarker ignores case), in the spellings a
// string input is matched against: ONNX's LabelEncoder compares exactly.
var missingMarkers = []string{"", "?", "NA", "na", "Na", "N/A", "n/a", "N/a", "NaN", "nan", "NAN", "Nan",
	"null", "NULL", "Null"}

// features adds the nodes that turn the graph inputs into the pipeline's
// feature matrix, [N, p.NumFeatures()] doubles, and returns its name.
func (g *graph) features(p *preprocess.Pipeline) (string, error) {
	var parts []string
	for i := range p.Columns {
		st := &p.Columns[i]
		switch st.Kind {
		case dataset.Numeric, dataset.Boolean:
			doc := "number; NaN is missing"
			if st.Kind == dataset.Boolean {
				doc = "boolean as 0 or 1; NaN is missing"
			}
			in, err := g.input(st.Name, tDouble, doc)
			if err != nil {
				return "", err
			}
			ps := st.Parts[0]
			filled := g.node("Where", []string{g.node("IsNaN", []string{in}), g.scalar(ps.Fill), in})
			centred := g.node("Sub", []string{filled, g.scalar(ps.Mean)})
			parts = append(parts, g.node("Div", []string{centred, g.scalar(ps.Scale)}))
		case dataset.Categorical:
			in, err := g.input(st.Name, tString, "category; an empty string or NA is missing")
			if err != nil {
				return "", err
			}
			part, err := g.categorical(p, i, in)
			if err != nil {
				return "", err
			}
			parts = append(parts, part)
		default:
			return "", fmt.Errorf("%w: column %q is a %s column; only numeric, boolean and categorical inputs can be exported",
				ErrUnsupported, st.Name, st.Kind)
		}
	}
	if len(parts) == 0 {
		return "", fmt.Errorf("onnx: the pipeline has no input columns")
	}
	return g.node("Concat", parts, intAttr("axis", 1)), nil
}

// categorical maps column i's strings to codes as preprocess does (pooled
// categories to the "other" code, missing values to the fill value's code,
// unseen categories to -1 under one-hot encoding and to the other or
// unknown code under ordinal encoding), then encodes them.
func (g *graph) categorical(p *preprocess.Pipeline, i int, in string) (string, error) {
	st := &p.Columns[i]
	ordinal := p.Spec.Encoding == preprocess.EncodeOrdinal
	code := map[string]int64{}
	var keys []string
	add := func(k string, c int64) {
		if _, dup := code[k]; !dup {
			code[k] = c
			keys = append(keys, k)
		}
	}
	for j, c := range st.Categories {
		add(c, int64(j))
	}
	for _, c := range st.Pooled {
		add(c, int64(len(st.Categories)))
	}
	unknown := int64(-1)
	card := len(st.Categories)
	if st.Other {
		card++
	}
	if ordinal {
		unknown = int64(st.UnknownCode)
		if st.Other {
			unknown = int64(len(st.Categories))
		}
	}
	fill, ok := code[st.Fill]
	if !ok {
		fill = unknown
	}
	for _, m := range missingMarkers {
		add(m, fill)
	}
	vals := make([]int64, len(keys))
	for j, k := range keys {
		vals[j] = code[k]
	}
	codes := g.ml("LabelEncoder", []string{in}, strsAttr("keys_strings", keys),
		intsAttr("values_int64s", vals), intAttr("default_int64", unknown))
	if ordinal {
		return g.node("Cast", []string{codes}, intAttr("to", tDouble)), nil
	}
	cats := make([]int64, card)
	for j := range cats {
		cats[j] = int64(j)
	}
	hot := g.ml("OneHotEncoder", []string{codes}, intsAttr("cats_int64s", cats), intAttr("zeros", 1))
	flat := g.node("Reshape", []string{hot, g.ints("shape", -1, int64(card))})
	return g.node("Cast", []string{flat}, intAttr("to", tDouble)), nil
}
