package preprocess_test

import (
	"fmt"
	"math"
	"strings"

	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/preprocess"
)

func Example() {
	nan := math.NaN()
	f := &dataset.Frame{Path: "loans.csv", Columns: []*dataset.Column{
		{Name: "amount", Kind: dataset.Numeric, Str: []string{"100", "300", "", "200"},
			Num: []float64{100, 300, nan, 200}, Missing: []bool{false, false, true, false}},
		{Name: "purpose", Kind: dataset.Categorical, Str: []string{"car", "tv", "car", ""},
			Missing: []bool{false, false, false, true}},
	}}
	spec := preprocess.Spec{Columns: []preprocess.Input{
		{Name: "amount", Kind: dataset.Numeric},
		{Name: "purpose", Kind: dataset.Categorical},
	}}
	p, err := spec.Fit(f, []int{0, 1, 2, 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	var names []string
	for _, ft := range p.Features() {
		names = append(names, ft.Name)
	}
	fmt.Println(strings.Join(names, " "))
	X, _ := p.Transform(f, nil)
	for i := range 4 {
		fmt.Println(X.RawRowView(i))
	}
	// Score one record: "tv" is known, the amount is missing.
	rec := map[string]string{"purpose": "tv", "amount": "NA"}
	dst := make([]float64, p.NumFeatures())
	err = p.TransformRow(func(c string) (string, bool) { v, ok := rec[c]; return v, ok }, dst)
	fmt.Println(dst, err)
	// Output:
	// amount purpose=car purpose=tv
	// [100 1 0]
	// [300 0 1]
	// [200 1 0]
	// [200 1 0]
	// [200 0 1] <nil>
}
