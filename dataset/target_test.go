package dataset

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// labels builds a one-column frame "y" from labels ("" = missing).
func labels(t *testing.T, ys ...string) *Frame {
	t.Helper()
	return read(t, "x,y\n"+strings.Join(func() []string {
		rows := make([]string, len(ys))
		for i, y := range ys {
			rows[i] = "1," + y
		}
		return rows
	}(), "\n")+"\n")
}

func rep(s string, n int) []string { return slices.Repeat([]string{s}, n) }

func TestEncodeTarget(t *testing.T) {
	f := labels(t, slices.Concat(rep("yes", 6), rep("no", 5), rep("", 2), []string{"no"})...)
	tg, err := EncodeTarget(f, "y", "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tg.Classes, []string{"no", "yes"}) || tg.Positive != 1 || tg.Dropped != 2 ||
		!slices.Equal(tg.Counts, []int{6, 6}) || len(tg.Rows) != 12 || tg.Y[0] != 1 || tg.Rows[11] != 13 || tg.Y[11] != 0 {
		t.Errorf("%+v", tg)
	}
	// The negative label as positive: classes reorder so Positive stays 1.
	tg, err = EncodeTarget(f, "y", "no")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tg.Classes, []string{"yes", "no"}) || tg.Positive != 1 || tg.Y[0] != 0 || !slices.Equal(tg.Counts, []int{6, 6}) {
		t.Errorf("pos=no: %+v", tg)
	}
}

func TestEncodeTargetNumericOrder(t *testing.T) {
	f := labels(t, slices.Concat(rep("10", 5), rep("9", 5), rep("-1", 5), rep("9.0", 5))...)
	tg, err := EncodeTarget(f, "y", "")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"-1", "9", "9.0", "10"}; !slices.Equal(tg.Classes, want) || tg.Positive != -1 {
		t.Errorf("classes %q positive %d, want %q -1", tg.Classes, tg.Positive, want)
	}
	g := labels(t, slices.Concat(rep("b", 5), rep("B", 5), rep("a", 5))...)
	if tg, _ := EncodeTarget(g, "y", ""); !slices.Equal(tg.Classes, []string{"B", "a", "b"}) {
		t.Errorf("lexical, case-sensitive: %q", tg.Classes)
	}
}

func TestEncodeTargetErrors(t *testing.T) {
	two := labels(t, slices.Concat(rep("a", 5), rep("b", 5))...)
	cases := []struct {
		name   string
		f      *Frame
		col    string
		pos    string
		expect string
	}{
		{"absent", two, "nope", "", `target column "nope" not found`},
		{"all missing", labels(t, "", "NA", "?"), "y", "", "missing in all 3 rows"},
		{"one class", labels(t, rep("a", 9)...), "y", "", `single class "a"`},
		{"rare class", labels(t, slices.Concat(rep("a", 9), rep("b", 4))...), "y", "", `class "b" has 4 rows`},
		{"bad positive", two, "y", "c", `positive label "c" is not among`},
		{"positive for multiclass", labels(t, slices.Concat(rep("a", 5), rep("b", 5), rep("c", 5))...), "y", "a", "binary targets only"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := EncodeTarget(tc.f, tc.col, tc.pos)
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "t.csv" || !strings.Contains(err.Error(), tc.expect) {
				t.Fatalf("error %v, want a ParseError on t.csv containing %q", err, tc.expect)
			}
			if tc.col == "y" && pe.Column != "y" {
				t.Errorf("error does not name the column: %v", err)
			}
		})
	}
}
