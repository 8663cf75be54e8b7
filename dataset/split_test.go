package dataset

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func german(t testing.TB) (*Frame, *Target) {
	t.Helper()
	f, err := Read(filepath.Join("testdata", "german_credit_uci_coded.csv"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	tg, err := EncodeTarget(f, "class", "")
	if err != nil {
		t.Fatal(err)
	}
	return f, tg
}

func classCounts(rows []int, f *Frame, tg *Target) []int {
	y := map[int]int{}
	for i, r := range tg.Rows {
		y[r] = tg.Y[i]
	}
	out := make([]int, len(tg.Classes))
	for _, r := range rows {
		out[y[r]]++
	}
	return out
}

// checkPartition fails unless the sets are sorted, disjoint and cover all.
func checkPartition(t *testing.T, all []int, sets ...[]int) {
	t.Helper()
	var union []int
	for _, s := range sets {
		if !slices.IsSorted(s) {
			t.Error("set not sorted")
		}
		union = append(union, s...)
	}
	slices.Sort(union)
	want := slices.Sorted(slices.Values(all))
	if !slices.Equal(union, want) {
		t.Errorf("sets (%d rows together) do not partition the %d rows", len(union), len(want))
	}
}

func TestRandomSplitStratified(t *testing.T) {
	f, tg := german(t)
	sp, err := MakeSplit(f, tg.Rows, tg.Y, SplitSpec{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	checkPartition(t, tg.Rows, sp.Train, sp.Val, sp.Test)
	// 700/300 cut 0.6/0.2/0.2 per class: exact here.
	for name, c := range map[string]struct {
		rows []int
		want []int
	}{"train": {sp.Train, []int{420, 180}}, "val": {sp.Val, []int{140, 60}}, "test": {sp.Test, []int{140, 60}}} {
		if got := classCounts(c.rows, f, tg); !slices.Equal(got, c.want) {
			t.Errorf("%s class counts %v, want %v", name, got, c.want)
		}
	}
	if sp.Folds != nil {
		t.Error("folds without CV")
	}
	again, _ := MakeSplit(f, tg.Rows, tg.Y, SplitSpec{Seed: 7})
	if !slices.Equal(again.Train, sp.Train) || !slices.Equal(again.Val, sp.Val) {
		t.Error("same seed, different split")
	}
	other, _ := MakeSplit(f, tg.Rows, tg.Y, SplitSpec{Seed: 8})
	if slices.Equal(other.Train, sp.Train) {
		t.Error("different seeds, same split")
	}
	// Odd fractions keep proportions within one row per class.
	sp, err = MakeSplit(f, tg.Rows, tg.Y, SplitSpec{Seed: 1, TrainFrac: 0.7, ValFrac: 0.15})
	if err != nil {
		t.Fatal(err)
	}
	checkPartition(t, tg.Rows, sp.Train, sp.Val, sp.Test)
	if got := classCounts(sp.Train, f, tg); got[0] != 490 || got[1] != 210 {
		t.Errorf("train counts %v", got)
	}
}

func TestCVFolds(t *testing.T) {
	f, tg := german(t)
	sp, err := MakeSplit(f, tg.Rows, tg.Y, SplitSpec{Seed: 3, CV: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(sp.Folds) != 5 {
		t.Fatalf("%d folds", len(sp.Folds))
	}
	checkPartition(t, append(slices.Clone(sp.Train), sp.Val...), sp.Folds...)
	for k, fo := range sp.Folds {
		// 800 rows, 560/240: 160 per fold, 112/48.
		if got := classCounts(fo, f, tg); got[0] != 112 || got[1] != 48 {
			t.Errorf("fold %d class counts %v, want [112 48]", k, got)
		}
	}
	again, _ := MakeSplit(f, tg.Rows, tg.Y, SplitSpec{Seed: 3, CV: 5})
	for k := range sp.Folds {
		if !slices.Equal(sp.Folds[k], again.Folds[k]) {
			t.Errorf("fold %d differs between runs", k)
		}
	}
	// Uneven sizes: 7 folds of 800 rows differ by at most one row.
	sp, _ = MakeSplit(f, tg.Rows, tg.Y, SplitSpec{Seed: 3, CV: 7})
	lo, hi := math.MaxInt, 0
	for _, fo := range sp.Folds {
		lo, hi = min(lo, len(fo)), max(hi, len(fo))
	}
	if hi-lo > 1 {
		t.Errorf("fold sizes from %d to %d", lo, hi)
	}
}

func TestSplitColumn(t *testing.T) {
	f := read(t, "x,s,y\n1,train,a\n2,TRAIN,b\n3,val,a\n4,Validate,b\n5,test,a\n6, Test ,b\n")
	sp, err := MakeSplit(f, []int{0, 1, 2, 3, 4, 5}, []int{0, 1, 0, 1, 0, 1}, SplitSpec{SplitCol: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sp.Train, []int{0, 1}) || !slices.Equal(sp.Val, []int{2, 3}) || !slices.Equal(sp.Test, []int{4, 5}) {
		t.Errorf("%+v", sp)
	}
	g := read(t, "x,s\n1,train\n2,holdout\n")
	_, err = MakeSplit(g, []int{0, 1}, []int{0, 1}, SplitSpec{SplitCol: "s"})
	if err == nil || !strings.Contains(err.Error(), `t.csv:3: column "s"`) || !strings.Contains(err.Error(), `"holdout"`) {
		t.Errorf("bad split value: %v", err)
	}
}

func TestTimeSplit(t *testing.T) {
	var b strings.Builder
	b.WriteString("when,n,y\n")
	// Rows out of time order: day 20-i for row i.
	for i := range 20 {
		b.WriteString("2021-01-" + twoDigits(20-i) + "," + itoa((i*7)%20) + "," + []string{"a", "b"}[i%2] + "\n")
	}
	f := read(t, b.String())
	rows := make([]int, 20)
	y := make([]int, 20)
	for i := range rows {
		rows[i], y[i] = i, i%2
	}
	for _, col := range []string{"when", "n"} {
		sp, err := MakeSplit(f, rows, y, SplitSpec{TimeCol: col, TrainFrac: 0.5, ValFrac: 0.25})
		if err != nil {
			t.Fatal(err)
		}
		checkPartition(t, rows, sp.Train, sp.Val, sp.Test)
		if len(sp.Train) != 10 || len(sp.Val) != 5 || len(sp.Test) != 5 {
			t.Fatalf("%s: sizes %d %d %d", col, len(sp.Train), len(sp.Val), len(sp.Test))
		}
		c := f.Column(col)
		maxOf := func(rs []int) float64 {
			m := math.Inf(-1)
			for _, r := range rs {
				m = max(m, c.Num[r])
			}
			return m
		}
		minOf := func(rs []int) float64 {
			m := math.Inf(1)
			for _, r := range rs {
				m = min(m, c.Num[r])
			}
			return m
		}
		if maxOf(sp.Train) >= minOf(sp.Val) || maxOf(sp.Val) >= minOf(sp.Test) {
			t.Errorf("%s: not chronological", col)
		}
		cv, err := MakeSplit(f, rows, y, SplitSpec{TimeCol: col, TrainFrac: 0.5, ValFrac: 0.25, CV: 3})
		if err != nil {
			t.Fatal(err)
		}
		checkPartition(t, append(slices.Clone(cv.Train), cv.Val...), cv.Folds...)
		if maxOf(cv.Folds[0]) >= minOf(cv.Folds[1]) || maxOf(cv.Folds[1]) >= minOf(cv.Folds[2]) {
			t.Errorf("%s: time folds not consecutive", col)
		}
	}
	g := read(t, "when,y\n2021-01-01,a\n,b\n")
	if _, err := MakeSplit(g, []int{0, 1}, []int{0, 1}, SplitSpec{TimeCol: "when"}); err == nil || !strings.Contains(err.Error(), `t.csv:3: column "when"`) {
		t.Errorf("missing time: %v", err)
	}
	if _, err := MakeSplit(g, []int{0, 1}, []int{0, 1}, SplitSpec{TimeCol: "y"}); err == nil || !strings.Contains(err.Error(), "expected a datetime or numeric") {
		t.Errorf("categorical time column: %v", err)
	}
}

func twoDigits(i int) string { return string([]byte{byte('0' + i/10), byte('0' + i%10)}) }

func TestSplitErrors(t *testing.T) {
	f, tg := german(t)
	cases := []struct {
		spec SplitSpec
		want string
	}{
		{SplitSpec{TrainFrac: 1.5}, "train fraction"},
		{SplitSpec{ValFrac: -0.1}, "validation fraction"},
		{SplitSpec{TrainFrac: 0.8, ValFrac: 0.3}, "exceed 1"},
		{SplitSpec{CV: -2}, "cv -2"},
		{SplitSpec{CV: 900}, "900 folds"},
		{SplitSpec{SplitCol: "a", TimeCol: "b"}, "at most one"},
		{SplitSpec{SplitCol: "nope"}, `split column "nope" not found`},
		{SplitSpec{TimeCol: "nope"}, `time column "nope" not found`},
	}
	for _, tc := range cases {
		if _, err := MakeSplit(f, tg.Rows, tg.Y, tc.spec); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.spec, err, tc.want)
		}
	}
	if _, err := MakeSplit(f, tg.Rows, tg.Y[:5], SplitSpec{}); err == nil {
		t.Error("mismatched rows and labels accepted")
	}
	if _, err := MakeSplit(f, []int{5000}, []int{0}, SplitSpec{}); err == nil {
		t.Error("row outside the frame accepted")
	}
}

// Class indices need not be dense nor below the number of rows.
func TestSplitSparseClasses(t *testing.T) {
	f := read(t, "x\n1\n2\n3\n4\n5\n6\n")
	rows := []int{0, 1, 2, 3, 4, 5}
	sp, err := MakeSplit(f, rows, []int{9, 9, 9, 2, 2, 2}, SplitSpec{Seed: 2, TrainFrac: 0.5, ValFrac: 0.5, CV: 2})
	if err != nil {
		t.Fatal(err)
	}
	checkPartition(t, rows, sp.Train, sp.Val, sp.Test)
	if len(sp.Test) != 0 || len(sp.Train) != 4 || len(sp.Folds) != 2 {
		t.Errorf("%+v", sp)
	}
	if _, err := MakeSplit(f, rows, []int{0, 0, 0, -1, 1, 1}, SplitSpec{}); err == nil {
		t.Error("negative class accepted")
	}
}
