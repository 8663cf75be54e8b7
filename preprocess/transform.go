package preprocess

import (
	"fmt"
	"math"

	"github.com/goautoml/automl/dataset"
	"gonum.org/v1/gonum/mat"
)

// codes returns the category lookups of the categorical columns, built by
// Fit and UnmarshalJSON; a Pipeline assembled by hand gets them per call.
func (p *Pipeline) codes() []map[string]int32 {
	if p.lookup != nil {
		return p.lookup
	}
	return p.buildLookup()
}

// buildLookup maps each categorical column's categories to their codes;
// pooled categories share the "other" code.
func (p *Pipeline) buildLookup() []map[string]int32 {
	lookup := make([]map[string]int32, len(p.Columns))
	for i, st := range p.Columns {
		if st.Kind != dataset.Categorical {
			continue
		}
		m := make(map[string]int32, len(st.Categories)+len(st.Pooled))
		for j, c := range st.Categories {
			m[c] = int32(j)
		}
		for _, c := range st.Pooled {
			m[c] = int32(len(st.Categories))
		}
		lookup[i] = m
	}
	return lookup
}

// code returns the output code of category v of column i; pooled training
// categories share the bucket's code. A category unseen in training is -1
// under one-hot encoding (all zeros, as sklearn's handle_unknown="ignore",
// even with an "other" bucket); under ordinal encoding it takes the bucket's
// code, or UnknownCode when there is no bucket.
func (p *Pipeline) code(i int, m map[string]int32, v string) int {
	if c, ok := m[v]; ok {
		return int(c)
	}
	if p.Spec.Encoding != EncodeOrdinal {
		return -1
	}
	st := &p.Columns[i]
	if st.Other {
		return len(st.Categories)
	}
	return st.UnknownCode
}

// Transform returns the feature matrix of the given frame rows (nil: every
// row), one matrix row per entry of rows, columns as Features. Columns are
// looked up by name; a column that is absent or has another kind than at fit
// time is an error naming it.
func (p *Pipeline) Transform(f *dataset.Frame, rows []int) (*mat.Dense, error) {
	if f == nil {
		return nil, fmt.Errorf("preprocess: transform: nil frame")
	}
	if rows == nil {
		rows = make([]int, f.NumRows())
		for i := range rows {
			rows[i] = i
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("preprocess: transform %s: no rows", f.Path)
	}
	if err := checkRows(f, rows); err != nil {
		return nil, fmt.Errorf("preprocess: transform: %w", err)
	}
	lookup := p.codes()
	nf := p.NumFeatures()
	data := make([]float64, len(rows)*nf)
	off := 0
	for i := range p.Columns {
		st := &p.Columns[i]
		col, err := frameColumn(f, Input{Name: st.Name, Kind: st.Kind})
		if err != nil {
			return nil, fmt.Errorf("preprocess: transform: %w", err)
		}
		switch st.Kind {
		case dataset.Numeric, dataset.Boolean:
			ps := st.Parts[0]
			for k, r := range rows {
				v := col.Num[r]
				if col.Missing[r] || math.IsNaN(v) {
					v = ps.Fill
				} else if math.IsInf(v, 0) {
					return nil, fmt.Errorf("preprocess: transform %s: column %q, row %d: value %v is not finite", f.Path, st.Name, r, v)
				}
				data[k*nf+off] = (v - ps.Mean) / ps.Scale
			}
			off++
		case dataset.Datetime:
			for k, r := range rows {
				v := col.Num[r]
				missing := col.Missing[r] || math.IsNaN(v)
				if !missing && math.IsInf(v, 0) {
					return nil, fmt.Errorf("preprocess: transform %s: column %q, row %d: value %v is not finite", f.Path, st.Name, r, v)
				}
				writeDate(data[k*nf+off:k*nf+off+len(dateParts)], st.Parts, v, missing)
			}
			off += len(dateParts)
		case dataset.Categorical:
			m := lookup[i]
			ordinal := p.Spec.Encoding == EncodeOrdinal
			for k, r := range rows {
				v := col.String(r)
				if col.Missing[r] {
					v = st.Fill
				}
				c := p.code(i, m, v)
				switch {
				case ordinal:
					data[k*nf+off] = float64(c)
				case c >= 0:
					data[k*nf+off+c] = 1
				}
			}
			if ordinal {
				off++
			} else {
				off += st.cardinality()
			}
		}
	}
	return mat.NewDense(len(rows), nf, data), nil
}

// writeDate fills dst with the imputed, scaled date parts of Unix seconds t.
func writeDate(dst []float64, parts []PartState, t float64, missing bool) {
	var d [len(dateParts)]float64
	if !missing {
		d = dateValues(t)
	}
	for j, ps := range parts {
		v := ps.Fill
		if !missing {
			v = d[j]
		}
		dst[j] = (v - ps.Mean) / ps.Scale
	}
}
