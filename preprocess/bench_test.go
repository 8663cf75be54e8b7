package preprocess

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/goautoml/automl/dataset"
)

// syntheticFrame has n rows, 6 numeric columns and 8 categorical columns of
// growing cardinality (2 to 1000), with about 3% of cells missing.
func syntheticFrame(n int, seed uint64) (*dataset.Frame, Spec) {
	rng := rand.New(rand.NewPCG(seed, 1))
	f := &dataset.Frame{Path: "synthetic.csv", Delimiter: ','}
	var spec Spec
	for j := range 6 {
		c := &dataset.Column{Name: fmt.Sprintf("x%d", j), Kind: dataset.Numeric,
			Str: make([]string, n), Num: make([]float64, n), Missing: make([]bool, n)}
		for i := range n {
			if rng.Float64() < 0.03 {
				c.Missing[i], c.Num[i] = true, math.NaN()
				continue
			}
			c.Num[i] = rng.NormFloat64()*float64(j+1) + float64(10*j)
			c.Str[i] = strconv.FormatFloat(c.Num[i], 'g', -1, 64)
		}
		f.Columns = append(f.Columns, c)
		spec.Columns = append(spec.Columns, Input{c.Name, c.Kind})
	}
	for j, card := range []int{2, 3, 5, 10, 20, 50, 100, 1000} {
		c := &dataset.Column{Name: fmt.Sprintf("c%d", j), Kind: dataset.Categorical,
			Str: make([]string, n), Missing: make([]bool, n)}
		levels := make([]string, card)
		for k := range levels {
			levels[k] = fmt.Sprintf("level_%d", k)
		}
		for i := range n {
			if rng.Float64() < 0.03 {
				c.Missing[i] = true
				continue
			}
			// Skewed frequencies: low levels are common.
			k := int(float64(card) * rng.Float64() * rng.Float64())
			c.Str[i] = levels[k]
		}
		f.Columns = append(f.Columns, c)
		spec.Columns = append(spec.Columns, Input{c.Name, c.Kind})
	}
	return f, spec
}

const benchRows = 50_000

// benchVariants: one-hot of all categories (1,190 one-hot features, a 476 MB
// matrix at 50k rows), one-hot capped at 20 categories per column, ordinal.
var benchVariants = []struct {
	name string
	enc  string
	max  int
}{{"onehot", EncodeOneHot, 0}, {"onehot_max20", EncodeOneHot, 20}, {"ordinal", EncodeOrdinal, 0}}

func BenchmarkFitTransform(b *testing.B) {
	f, spec := syntheticFrame(benchRows, 1)
	rows := seq(benchRows)
	for _, v := range benchVariants {
		b.Run(v.name, func(b *testing.B) {
			s := spec
			s.Encoding, s.MaxCategories, s.Scale = v.enc, v.max, true
			for b.Loop() {
				p, err := s.Fit(f, rows)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := p.Transform(f, rows); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func BenchmarkTransform(b *testing.B) {
	f, spec := syntheticFrame(benchRows, 1)
	rows := seq(benchRows)
	for _, v := range benchVariants {
		b.Run(v.name, func(b *testing.B) {
			s := spec
			s.Encoding, s.MaxCategories, s.Scale = v.enc, v.max, true
			p, err := s.Fit(f, rows)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := p.Transform(f, rows); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func BenchmarkTransformRow(b *testing.B) {
	const n = 1000
	f, spec := syntheticFrame(n, 2)
	spec.Scale = true
	p, err := spec.Fit(f, seq(n))
	if err != nil {
		b.Fatal(err)
	}
	records := make([]map[string]string, n)
	for i := range records {
		records[i] = map[string]string{}
		for _, c := range f.Columns {
			if !c.Missing[i] {
				records[i][c.Name] = c.Str[i]
			}
		}
	}
	dst := make([]float64, p.NumFeatures())
	i := 0
	for b.Loop() {
		rec := records[i%n]
		i++
		if err := p.TransformRow(func(c string) (string, bool) { v, ok := rec[c]; return v, ok }, dst); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
