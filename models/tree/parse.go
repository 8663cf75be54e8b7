package tree

import (
	"bufio"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"strings"
)

// ReadLightGBM parses a LightGBM text model (version v3) of the kind
// WriteLightGBM writes into an Ensemble, checking its structure: child
// references in range and after their parent, split features below
// max_feature_idx+1, categorical bitsets present, numeric splits with
// missing type NaN. Init scores come back folded into the first
// iteration's leaf values (InitScore is nil), which gives the same raw
// outputs. name is used in errors.
func ReadLightGBM(r io.Reader, name string) (*Ensemble, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<30)
	line := 0
	block := func() (map[string]string, int, error) {
		kv := map[string]string{}
		start := 0
		for sc.Scan() {
			line++
			t := strings.TrimSpace(sc.Text())
			if t == "" {
				if len(kv) == 0 {
					continue
				}
				break
			}
			if start == 0 {
				start = line
			}
			k, v, _ := strings.Cut(t, "=")
			kv[k] = v
		}
		return kv, start, sc.Err()
	}
	fail := func(at int, format string, a ...any) error {
		return fmt.Errorf("tree: %s line %d: %s", name, at, fmt.Sprintf(format, a...))
	}
	hdr, at, err := block()
	if err != nil {
		return nil, fmt.Errorf("tree: %s: %w", name, err)
	}
	if hdr["version"] != "v3" {
		return nil, fail(at, "version %q, want v3 (a LightGBM text model)", hdr["version"])
	}
	outs, err1 := strconv.Atoi(hdr["num_class"])
	perIter, err2 := strconv.Atoi(hdr["num_tree_per_iteration"])
	mfi, err3 := strconv.Atoi(hdr["max_feature_idx"])
	if err1 != nil || err2 != nil || err3 != nil || outs < 1 || outs != perIter || mfi < 0 || outs > 1<<16 {
		return nil, fail(at, "num_class %q, num_tree_per_iteration %q, max_feature_idx %q: want equal positive counts and an index",
			hdr["num_class"], hdr["num_tree_per_iteration"], hdr["max_feature_idx"])
	}
	e := &Ensemble{Outputs: outs, Classes: max(2, outs), Features: mfi + 1}
	_, e.Average = hdr["average_output"]
	switch obj := hdr["objective"]; {
	case e.Average:
		e.Link = Identity
	case obj == "binary sigmoid:1" && outs == 1:
		e.Link = Logistic
	case obj == fmt.Sprintf("multiclass num_class:%d", outs) && outs > 1:
		e.Link = Softmax
	default:
		return nil, fail(at, "objective %q with %d outputs is not a classifier this package writes", obj, outs)
	}
	ntrees := len(strings.Fields(hdr["tree_sizes"]))
	if ntrees == 0 || ntrees%outs != 0 {
		return nil, fail(at, "tree_sizes lists %d trees, want a positive multiple of %d", ntrees, outs)
	}
	for i := 0; i < ntrees; i++ {
		kv, at, err := block()
		if err != nil {
			return nil, fmt.Errorf("tree: %s: %w", name, err)
		}
		if kv["Tree"] != strconv.Itoa(i) {
			return nil, fail(at, "want the block of tree %d", i)
		}
		t, err := parseTree(kv, e.Features)
		if err != nil {
			return nil, fail(at, "tree %d: %v", i, err)
		}
		e.Trees = append(e.Trees, t)
	}
	return e, nil
}

// parseTree builds one tree: internal node i becomes Nodes[i], leaf j
// becomes Nodes[num_leaves-1+j].
func parseTree(kv map[string]string, features int) (Tree, error) {
	nl, err := strconv.Atoi(kv["num_leaves"])
	if err != nil || nl < 1 || nl > 1<<24 {
		return Tree{}, fmt.Errorf("num_leaves %q, want a positive integer", kv["num_leaves"])
	}
	ni := nl - 1
	floats := func(key string, n int, required bool) ([]float64, error) {
		f := strings.Fields(kv[key])
		if len(f) == 0 && !required {
			return make([]float64, n), nil
		}
		if len(f) != n {
			return nil, fmt.Errorf("%s has %d values, want %d", key, len(f), n)
		}
		out := make([]float64, n)
		for i, s := range f {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, fmt.Errorf("%s value %d: %q is not a number", key, i, s)
			}
			out[i] = v
		}
		return out, nil
	}
	ints := func(key string, n int, required bool) ([]int, error) {
		f, err := floats(key, n, required)
		if err != nil {
			return nil, err
		}
		out := make([]int, n)
		for i, v := range f {
			if v != float64(int64(v)) {
				return nil, fmt.Errorf("%s value %d: %v is not an integer", key, i, v)
			}
			out[i] = int(v)
		}
		return out, nil
	}
	leafValue, err := floats("leaf_value", nl, true)
	if err != nil {
		return Tree{}, err
	}
	leafWeight, err := floats("leaf_weight", nl, false)
	if err != nil {
		return Tree{}, err
	}
	leafCount, err := ints("leaf_count", nl, false)
	if err != nil {
		return Tree{}, err
	}
	t := Tree{Nodes: make([]Node, ni+nl)}
	for j := 0; j < nl; j++ {
		t.Nodes[ni+j] = Node{Left: -1, Right: -1, Feature: -1, Value: leafValue[j], Cover: leafWeight[j], Count: leafCount[j]}
	}
	if ni == 0 {
		t.Nodes = t.Nodes[ni:]
		return t, nil
	}
	var feat, dec, left, right, icount []int
	var gain, thr, ival, iw []float64
	for _, p := range []struct {
		key string
		dst *[]int
	}{{"split_feature", &feat}, {"decision_type", &dec}, {"left_child", &left}, {"right_child", &right}} {
		if *p.dst, err = ints(p.key, ni, true); err != nil {
			return Tree{}, err
		}
	}
	if icount, err = ints("internal_count", ni, false); err != nil {
		return Tree{}, err
	}
	for _, p := range []struct {
		key      string
		dst      *[]float64
		required bool
	}{{"threshold", &thr, true}, {"split_gain", &gain, false}, {"internal_value", &ival, false}, {"internal_weight", &iw, false}} {
		if *p.dst, err = floats(p.key, ni, p.required); err != nil {
			return Tree{}, err
		}
	}
	ncat, err := strconv.Atoi(kv["num_cat"])
	if err != nil || ncat < 0 || ncat > ni {
		return Tree{}, fmt.Errorf("num_cat %q, want 0..%d", kv["num_cat"], ni)
	}
	var bounds, words []int
	if ncat > 0 {
		if bounds, err = ints("cat_boundaries", ncat+1, true); err != nil {
			return Tree{}, err
		}
		nw := len(strings.Fields(kv["cat_threshold"]))
		if words, err = ints("cat_threshold", nw, true); err != nil {
			return Tree{}, err
		}
	}
	// every node but the root must be the child of exactly one node: a
	// shared child would make leaves build a loop
	used := make([]bool, ni+nl)
	ref := func(c, parent int) (int, error) {
		idx := c
		if c < 0 {
			idx = ni + ^c
		}
		if c >= ni || ^c >= nl || idx <= parent || used[idx] {
			return 0, fmt.Errorf("node %d: child %d out of range, before its parent or shared", parent, c)
		}
		used[idx] = true
		return idx, nil
	}
	for i := 0; i < ni; i++ {
		n := Node{Feature: feat[i], Value: ival[i], Cover: iw[i], Count: icount[i], Gain: gain[i]}
		if n.Feature < 0 || n.Feature >= features {
			return Tree{}, fmt.Errorf("node %d: split feature %d, want 0..%d", i, n.Feature, features-1)
		}
		if n.Left, err = ref(left[i], i); err != nil {
			return Tree{}, err
		}
		if n.Right, err = ref(right[i], i); err != nil {
			return Tree{}, err
		}
		d := dec[i]
		if d < 0 || d > 15 || (d>>2)&3 != 2 {
			return Tree{}, fmt.Errorf("node %d: decision_type %d, want missing type NaN", i, d)
		}
		n.DefaultLeft = d&lgDefaultLeft != 0
		if d&lgCategorical == 0 {
			n.Threshold = thr[i]
		} else {
			n.Categorical = true
			c := int(thr[i])
			if float64(c) != thr[i] || c < 0 || c >= ncat || bounds[c] < 0 || bounds[c] > bounds[c+1] || bounds[c+1] > len(words) {
				return Tree{}, fmt.Errorf("node %d: categorical threshold %v without a bitset", i, thr[i])
			}
			for wi, w := range words[bounds[c]:bounds[c+1]] {
				if w < 0 || w > 1<<32-1 {
					return Tree{}, fmt.Errorf("node %d: bitset word %d out of range", i, w)
				}
				if wi*32 >= maxCode {
					return Tree{}, fmt.Errorf("node %d: categories beyond code %d", i, maxCode)
				}
				for u := uint32(w); u != 0; u &= u - 1 {
					n.Categories = append(n.Categories, int32(wi*32+bits.TrailingZeros32(u)))
				}
			}
			if len(n.Categories) == 0 {
				return Tree{}, fmt.Errorf("node %d: empty category set", i)
			}
		}
		t.Nodes[i] = n
	}
	return t, nil
}
