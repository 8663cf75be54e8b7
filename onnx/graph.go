package onnx

import (
	"fmt"
	"strconv"
)

// graph collects the nodes and constants of the model being built.
type graph struct {
	g     graphProto
	names map[string]int
	// inputs declared so far, by column name (members of a bundle share them)
	inputs map[string]valueInfo
}

func newGraph() *graph {
	return &graph{names: map[string]int{}, inputs: map[string]valueInfo{}}
}

// name returns a fresh value name starting with hint.
func (g *graph) name(hint string) string {
	n := g.names[hint]
	g.names[hint] = n + 1
	return hint + "_" + strconv.Itoa(n)
}

// node adds a node with one output and returns the output's name.
func (g *graph) node(op string, inputs []string, attrs ...attr) string {
	return g.nodeIn("", op, inputs, attrs...)
}

// ml adds an ai.onnx.ml node with one output.
func (g *graph) ml(op string, inputs []string, attrs ...attr) string {
	return g.nodeIn("ai.onnx.ml", op, inputs, attrs...)
}

func (g *graph) nodeIn(domain, op string, inputs []string, attrs ...attr) string {
	out := g.name(op)
	g.g.nodes = append(g.g.nodes, &nodeProto{inputs: inputs, outputs: []string{out},
		name: out, opType: op, domain: domain, attrs: attrs})
	return out
}

// rename makes the value from the last node that produced v carry name.
func (g *graph) rename(v, name string) {
	for _, n := range g.g.nodes {
		for i, o := range n.outputs {
			if o == v {
				n.outputs[i] = name
			}
		}
	}
}

// constant adds an initializer and returns its name.
func (g *graph) constant(hint string, t *tensorProto) string {
	t.name = g.name(hint)
	g.g.inits = append(g.g.inits, t)
	return t.name
}

func (g *graph) doubles(hint string, dims []int64, v []float64) string {
	return g.constant(hint, doubleTensor(dims, v))
}

func (g *graph) scalar(v float64) string {
	return g.constant("c", doubleTensor(nil, []float64{v}))
}

func (g *graph) ints(hint string, v ...int64) string {
	return g.constant(hint, int64Tensor([]int64{int64(len(v))}, v))
}

// input declares a graph input of shape [N, 1], once per column.
func (g *graph) input(col string, elem int, doc string) (string, error) {
	if v, ok := g.inputs[col]; ok {
		if v.elemType != elem {
			return "", fmt.Errorf("onnx: column %q is read as two different types by the bundle's members", col)
		}
		return col, nil
	}
	v := valueInfo{name: col, elemType: elem, dims: []int64{-1, 1}, dimParam: "N", doc: doc}
	g.inputs[col] = v
	g.g.inputs = append(g.g.inputs, v)
	return col, nil
}
