package dataset

import (
	"cmp"
	"fmt"
	"slices"
)

// MinClassRows is the fewest rows a class may have for EncodeTarget.
const MinClassRows = 5

// Target encodes the target column. Rows whose target is missing are dropped (Dropped counts them).
// Classes are the distinct labels exactly as written (case-sensitive), sorted (numerically when all
// labels parse as numbers, else lexically); y[i] is the index in Classes of row Rows[i].
// posLabel "" picks Classes[1] for binary problems (scikit-learn's convention: the greater label);
// for binary problems Positive is the index of the positive class (and Classes is reordered so
// that Positive == 1 always: negative first). Errors: column absent, all missing, one class,
// fewer than 5 rows in some class, posLabel not among the labels — each naming file and column.
type Target struct {
	Column   string   `json:"column"`
	Classes  []string `json:"classes"`
	Positive int      `json:"positive"` // 1 for binary, -1 for multiclass
	Rows     []int    `json:"-"`        // frame rows kept (target present)
	Y        []int    `json:"-"`        // class index per kept row
	Dropped  int      `json:"dropped"`  // rows dropped for a missing target
	Counts   []int    `json:"counts"`   // rows per class
}

// EncodeTarget encodes column of f as class indices; see Target. A posLabel
// given for a problem with more than two classes is an error.
func EncodeTarget(f *Frame, column, posLabel string) (*Target, error) {
	fail := func(format string, args ...any) error {
		return &ParseError{File: f.Path, Column: column, Msg: fmt.Sprintf(format, args...)}
	}
	c := f.Column(column)
	if c == nil {
		return nil, &ParseError{File: f.Path, Msg: fmt.Sprintf("target column %q not found: expected one of the header's %d columns %s", column, len(f.Columns), f.names())}
	}
	t := &Target{Column: column, Positive: -1}
	counts := map[string]int{}
	for i := range c.Len() {
		if c.Missing[i] {
			t.Dropped++
			continue
		}
		counts[c.String(i)]++
	}
	if len(counts) == 0 {
		return nil, fail("the target is missing in all %d rows: expected class labels", c.Len())
	}
	t.Classes = make([]string, 0, len(counts))
	for s := range counts {
		t.Classes = append(t.Classes, s)
	}
	sortLabels(t.Classes, f.DecimalComma)
	if len(t.Classes) == 1 {
		return nil, fail("the target has a single class %q: expected at least two classes", t.Classes[0])
	}
	for _, s := range t.Classes {
		if counts[s] < MinClassRows {
			rows := "rows"
			if counts[s] == 1 {
				rows = "row"
			}
			return nil, fail("class %q has %d %s: expected at least %d rows in every class (drop or merge rare classes)", s, counts[s], rows, MinClassRows)
		}
	}
	if len(t.Classes) == 2 {
		t.Positive = 1
		switch posLabel {
		case "", t.Classes[1]:
		case t.Classes[0]:
			t.Classes[0], t.Classes[1] = t.Classes[1], t.Classes[0]
		default:
			return nil, fail("positive label %q is not among the target's labels %q", posLabel, t.Classes)
		}
	} else if posLabel != "" {
		if _, ok := counts[posLabel]; !ok {
			return nil, fail("positive label %q is not among the target's labels %q", posLabel, t.Classes)
		}
		return nil, fail("positive label %q given, but the target has %d classes: a positive label applies to binary targets only", posLabel, len(t.Classes))
	}
	index := make(map[string]int, len(t.Classes))
	t.Counts = make([]int, len(t.Classes))
	for k, s := range t.Classes {
		index[s] = k
		t.Counts[k] = counts[s]
	}
	n := c.Len() - t.Dropped
	t.Rows, t.Y = make([]int, 0, n), make([]int, 0, n)
	for i := range c.Len() {
		if !c.Missing[i] {
			t.Rows = append(t.Rows, i)
			t.Y = append(t.Y, index[c.String(i)])
		}
	}
	return t, nil
}

// sortLabels sorts numerically when every label is a number (ties by text,
// so "1" and "1.0" stay distinct and ordered), else lexically.
func sortLabels(labels []string, comma bool) {
	vals := make(map[string]float64, len(labels))
	for _, s := range labels {
		v, _, ok := parseNumber(s, comma)
		if !ok {
			slices.Sort(labels)
			return
		}
		vals[s] = v
	}
	slices.SortFunc(labels, func(a, b string) int {
		return cmp.Or(cmp.Compare(vals[a], vals[b]), cmp.Compare(a, b))
	})
}

// names lists the column names for messages, shortened after 20.
func (f *Frame) names() string {
	var out []string
	for i, c := range f.Columns {
		if i == 20 {
			out = append(out, fmt.Sprintf("… (%d more)", len(f.Columns)-20))
			break
		}
		out = append(out, c.Name)
	}
	return fmt.Sprintf("%q", out)
}
