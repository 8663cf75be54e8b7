package preprocess

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/goautoml/automl/dataset"
)

// UnmarshalJSON decodes a pipeline written by encoding/json and checks that
// its fitted state is complete and consistent with its spec, so a damaged
// model file fails here rather than when scoring.
func (p *Pipeline) UnmarshalJSON(b []byte) error {
	type plain struct {
		Spec      Spec          `json:"spec"`
		Columns   []ColumnState `json:"columns"`
		TrainRows int           `json:"train_rows"`
	}
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	q := Pipeline{Spec: v.Spec, Columns: v.Columns, TrainRows: v.TrainRows}
	if err := q.check(); err != nil {
		return fmt.Errorf("preprocess: decode pipeline: %w", err)
	}
	p.Spec, p.Columns, p.TrainRows = q.Spec, q.Columns, q.TrainRows
	p.features = p.buildFeatures()
	p.lookup = p.buildLookup()
	return nil
}

// check validates a decoded fitted state.
func (p *Pipeline) check() error {
	if err := p.Spec.Validate(); err != nil {
		return err
	}
	if p.Spec.NumericImpute == "" || p.Spec.CategoricalImpute == "" || p.Spec.Encoding == "" {
		return errors.New("spec lacks the strategies filled in by Fit")
	}
	if len(p.Columns) != len(p.Spec.Columns) {
		return fmt.Errorf("%d fitted columns for %d spec columns", len(p.Columns), len(p.Spec.Columns))
	}
	for i, st := range p.Columns {
		in := p.Spec.Columns[i]
		if st.Name != in.Name || st.Kind != in.Kind {
			return fmt.Errorf("fitted column %d is %q (%s), spec says %q (%s)", i, st.Name, st.Kind, in.Name, in.Kind)
		}
		want := 0
		switch st.Kind {
		case dataset.Numeric, dataset.Boolean:
			want = 1
		case dataset.Datetime:
			want = len(dateParts)
		}
		if len(st.Parts) != want {
			return fmt.Errorf("column %q: %d numeric parts, want %d", st.Name, len(st.Parts), want)
		}
		for _, ps := range st.Parts {
			if !finite(ps.Fill) || !finite(ps.Mean) || !finite(ps.Scale) || ps.Scale <= 0 {
				return fmt.Errorf("column %q: bad numeric state %+v", st.Name, ps)
			}
		}
		if st.Kind != dataset.Categorical {
			continue
		}
		if len(st.Categories) == 0 {
			return fmt.Errorf("column %q: no categories", st.Name)
		}
		if !slices.IsSorted(st.Categories) || len(slices.Compact(slices.Clone(st.Categories))) != len(st.Categories) {
			return fmt.Errorf("column %q: categories are not sorted and distinct", st.Name)
		}
		if st.Other != (len(st.Pooled) > 0) || !slices.IsSorted(st.Pooled) {
			return fmt.Errorf("column %q: pooled categories do not match the other bucket", st.Name)
		}
		for _, c := range st.Pooled {
			if _, found := slices.BinarySearch(st.Categories, c); found {
				return fmt.Errorf("column %q: category %q is both kept and pooled", st.Name, c)
			}
		}
		if st.UnknownCode < 0 || st.UnknownCode >= len(st.Categories) {
			return fmt.Errorf("column %q: unknown_code %d out of range", st.Name, st.UnknownCode)
		}
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
