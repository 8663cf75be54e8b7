package tree

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// LightGBM's decision_type bits.
const (
	lgCategorical = 1
	lgDefaultLeft = 2
	lgMissingNaN  = 2 << 2
)

// WriteLightGBM writes e in LightGBM's text model format, version v3, as
// read by github.com/dmitryikh/leaves and by LightGBM itself. Boosted
// models say `objective=binary sigmoid:1` or `multiclass num_class:K`, with
// the init score folded into the first round's leaf values, as LightGBM's
// boost_from_average does. Forests are written with average_output and
// leaf values that are class probabilities (P(class 1) for binary
// problems, one tree per class otherwise), so the raw averaged output is
// the probability and no transformation applies. Node statistics use
// LightGBM's fields: split_gain, leaf_weight / internal_weight (cover),
// leaf_count / internal_count, internal_value.
func (e *Ensemble) WriteLightGBM(w io.Writer) error {
	var objective string
	switch {
	case e.Link == Logistic:
		objective = "binary sigmoid:1"
	case e.Link == Softmax:
		objective = fmt.Sprintf("multiclass num_class:%d", e.Outputs)
	case e.Outputs == 1:
		objective = "regression"
	default:
		objective = "custom"
	}
	trees := make([][]byte, len(e.Trees))
	sizes := make([]string, len(e.Trees))
	for i := range e.Trees {
		var init float64
		if i < e.Outputs && e.InitScore != nil {
			init = e.InitScore[i]
		}
		var b bytes.Buffer
		b.Grow(64 * len(e.Trees[i].Nodes)) // about what a node's fields take
		fmt.Fprintf(&b, "Tree=%d\n", i)
		writeTree(&b, &e.Trees[i], init)
		b.WriteString("\n")
		trees[i] = b.Bytes()
		sizes[i] = strconv.Itoa(b.Len())
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "tree\nversion=v3\nnum_class=%d\nnum_tree_per_iteration=%d\nlabel_index=0\nmax_feature_idx=%d\nobjective=%s\n",
		e.Outputs, e.Outputs, e.Features-1, objective)
	if e.Average {
		bw.WriteString("average_output\n")
	}
	names := make([]string, e.Features)
	infos := make([]string, e.Features)
	for j := range names {
		names[j] = "Column_" + strconv.Itoa(j)
		infos[j] = "none"
	}
	fmt.Fprintf(bw, "feature_names=%s\nfeature_infos=%s\ntree_sizes=%s\n\n",
		strings.Join(names, " "), strings.Join(infos, " "), strings.Join(sizes, " "))
	for _, t := range trees {
		bw.Write(t)
	}
	bw.WriteString("end of trees\n\npandas_categorical:null\n")
	return bw.Flush()
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// writeTree writes one tree's block; init is added to every leaf value.
func writeTree(b *bytes.Buffer, t *Tree, init float64) {
	// LightGBM numbers internal nodes and leaves separately; a child
	// reference is an internal index or ^leaf index.
	idx := make([]int, len(t.Nodes))
	ni, nl := 0, 0
	for i := range t.Nodes {
		if t.Nodes[i].IsLeaf() {
			idx[i] = nl
			nl++
		} else {
			idx[i] = ni
			ni++
		}
	}
	ref := func(i int) string {
		if t.Nodes[i].IsLeaf() {
			return strconv.Itoa(^idx[i])
		}
		return strconv.Itoa(idx[i])
	}
	var feat, gain, thr, dec, left, right, ival, iw, ic []string
	var lval, lw, lc []string
	var bounds = []string{"0"}
	var bits []string
	ncat := 0
	for i := range t.Nodes {
		n := &t.Nodes[i]
		if n.IsLeaf() {
			lval = append(lval, ftoa(n.Value+init))
			lw = append(lw, ftoa(n.Cover))
			lc = append(lc, strconv.Itoa(n.Count))
			continue
		}
		feat = append(feat, strconv.Itoa(n.Feature))
		gain = append(gain, ftoa(n.Gain))
		if n.Categorical {
			thr = append(thr, strconv.Itoa(ncat))
			dec = append(dec, strconv.Itoa(lgCategorical|lgMissingNaN))
			words := make([]uint32, 0, 1)
			for _, c := range n.Categories {
				for int(c)/32 >= len(words) {
					words = append(words, 0)
				}
				words[c/32] |= 1 << (uint32(c) % 32)
			}
			for _, w := range words {
				bits = append(bits, strconv.FormatUint(uint64(w), 10))
			}
			ncat++
			bounds = append(bounds, strconv.Itoa(len(bits)))
		} else {
			thr = append(thr, ftoa(n.Threshold))
			d := lgMissingNaN
			if n.DefaultLeft {
				d |= lgDefaultLeft
			}
			dec = append(dec, strconv.Itoa(d))
		}
		left = append(left, ref(n.Left))
		right = append(right, ref(n.Right))
		ival = append(ival, ftoa(n.Value+init))
		iw = append(iw, ftoa(n.Cover))
		ic = append(ic, strconv.Itoa(n.Count))
	}
	line := func(k string, v []string) { fmt.Fprintf(b, "%s=%s\n", k, strings.Join(v, " ")) }
	fmt.Fprintf(b, "num_leaves=%d\nnum_cat=%d\n", nl, ncat)
	line("split_feature", feat)
	line("split_gain", gain)
	line("threshold", thr)
	line("decision_type", dec)
	line("left_child", left)
	line("right_child", right)
	line("leaf_value", lval)
	line("leaf_weight", lw)
	line("leaf_count", lc)
	line("internal_value", ival)
	line("internal_weight", iw)
	line("internal_count", ic)
	if ncat > 0 {
		line("cat_boundaries", bounds)
		line("cat_threshold", bits)
	}
	b.WriteString("is_linear=0\nshrinkage=1\n\n")
}
