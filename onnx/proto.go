package onnx

import (
	"encoding/binary"
	"math"
)

// The ONNX protobuf messages this package writes, with the field numbers of
// onnx.proto (IR version 10). Each type appends its wire encoding to a byte
// slice; fields at their zero value are left out, as proto3 does.

// Tensor element types (TensorProto.DataType).
const (
	tFloat  = 1
	tUint8  = 2
	tInt64  = 7
	tString = 8
	tDouble = 11
)

// Attribute types (AttributeProto.AttributeType).
const (
	aFloat   = 1
	aInt     = 2
	aString  = 3
	aTensor  = 4
	aFloats  = 6
	aInts    = 7
	aStrings = 8
)

type enc []byte

func (b enc) varint(v uint64) enc { return binary.AppendUvarint(b, v) }

func (b enc) tag(field, wire int) enc { return b.varint(uint64(field<<3 | wire)) }

// uint writes a varint field (int64 values are written as their two's
// complement, as protobuf does).
func (b enc) uint(field int, v int64) enc {
	if v == 0 {
		return b
	}
	return b.tag(field, 0).varint(uint64(v))
}

func (b enc) bytes(field int, v []byte) enc {
	b = b.tag(field, 2).varint(uint64(len(v)))
	return append(b, v...)
}

func (b enc) str(field int, s string) enc {
	if s == "" {
		return b
	}
	return b.bytes(field, []byte(s))
}

func (b enc) msg(field int, m interface{ append(enc) enc }) enc {
	return b.bytes(field, m.append(nil))
}

// packedInts writes a repeated int64 field in packed form.
func (b enc) packedInts(field int, v []int64) enc {
	if len(v) == 0 {
		return b
	}
	var p enc
	for _, x := range v {
		p = p.varint(uint64(x))
	}
	return b.bytes(field, p)
}

func (b enc) packedFloats(field int, v []float32) enc {
	if len(v) == 0 {
		return b
	}
	p := make([]byte, 0, 4*len(v))
	for _, x := range v {
		p = binary.LittleEndian.AppendUint32(p, math.Float32bits(x))
	}
	return b.bytes(field, p)
}

type modelProto struct {
	irVersion       int64
	producerName    string
	producerVersion string
	docString       string
	graph           *graphProto
	opsets          []opsetProto
	metadata        [][2]string
}

type opsetProto struct {
	domain  string
	version int64
}

func (o opsetProto) append(b enc) enc { return b.str(1, o.domain).uint(2, o.version) }

type stringPair [2]string

func (p stringPair) append(b enc) enc { return b.str(1, p[0]).str(2, p[1]) }

func (m *modelProto) append(b enc) enc {
	b = b.uint(1, m.irVersion).str(2, m.producerName).str(3, m.producerVersion).str(6, m.docString)
	b = b.msg(7, m.graph)
	for _, o := range m.opsets {
		b = b.msg(8, o)
	}
	for _, kv := range m.metadata {
		b = b.msg(14, stringPair(kv))
	}
	return b
}

type graphProto struct {
	nodes   []*nodeProto
	name    string
	inits   []*tensorProto
	doc     string
	inputs  []valueInfo
	outputs []valueInfo
}

func (g *graphProto) append(b enc) enc {
	for _, n := range g.nodes {
		b = b.msg(1, n)
	}
	b = b.str(2, g.name)
	for _, t := range g.inits {
		b = b.msg(5, t)
	}
	b = b.str(10, g.doc)
	for _, v := range g.inputs {
		b = b.msg(11, v)
	}
	for _, v := range g.outputs {
		b = b.msg(12, v)
	}
	return b
}

type nodeProto struct {
	inputs, outputs []string
	name, opType    string
	domain          string
	attrs           []attr
}

func (n *nodeProto) append(b enc) enc {
	for _, s := range n.inputs {
		b = b.bytes(1, []byte(s))
	}
	for _, s := range n.outputs {
		b = b.bytes(2, []byte(s))
	}
	b = b.str(3, n.name).str(4, n.opType)
	for _, a := range n.attrs {
		b = b.msg(5, a)
	}
	return b.str(7, n.domain)
}

// attr is an AttributeProto; kind says which value field is set.
type attr struct {
	name    string
	kind    int
	f       float32
	i       int64
	s       string
	t       *tensorProto
	floats  []float32
	ints    []int64
	strings []string
}

func (a attr) append(b enc) enc {
	b = b.str(1, a.name)
	switch a.kind {
	case aFloat:
		b = b.tag(2, 5)
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(a.f))
	case aInt:
		b = b.tag(3, 0).varint(uint64(a.i)) // written even when 0
	case aString:
		b = b.bytes(4, []byte(a.s))
	case aTensor:
		b = b.msg(5, a.t)
	case aFloats:
		b = b.packedFloats(7, a.floats)
	case aInts:
		b = b.packedInts(8, a.ints)
	case aStrings:
		for _, s := range a.strings {
			b = b.bytes(9, []byte(s))
		}
	}
	return b.uint(20, int64(a.kind))
}

func intAttr(name string, v int64) attr     { return attr{name: name, kind: aInt, i: v} }
func intsAttr(name string, v []int64) attr  { return attr{name: name, kind: aInts, ints: v} }
func strAttr(name, v string) attr           { return attr{name: name, kind: aString, s: v} }
func strsAttr(name string, v []string) attr { return attr{name: name, kind: aStrings, strings: v} }
func tensorAttr(name string, t *tensorProto) attr {
	return attr{name: name, kind: aTensor, t: t}
}

// tensorProto holds its numbers in raw_data (little-endian), its strings
// in string_data.
type tensorProto struct {
	name     string
	dims     []int64
	dataType int
	raw      []byte
	strs     []string
}

func (t *tensorProto) append(b enc) enc {
	b = b.packedInts(1, t.dims).uint(2, int64(t.dataType))
	for _, s := range t.strs {
		b = b.bytes(6, []byte(s))
	}
	b = b.str(8, t.name)
	if t.raw != nil {
		b = b.bytes(9, t.raw)
	}
	return b
}

func doubleTensor(dims []int64, v []float64) *tensorProto {
	raw := make([]byte, 0, 8*len(v))
	for _, x := range v {
		raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(x))
	}
	return &tensorProto{dims: dims, dataType: tDouble, raw: raw}
}

func int64Tensor(dims []int64, v []int64) *tensorProto {
	raw := make([]byte, 0, 8*len(v))
	for _, x := range v {
		raw = binary.LittleEndian.AppendUint64(raw, uint64(x))
	}
	return &tensorProto{dims: dims, dataType: tInt64, raw: raw}
}

func uint8Tensor(v []byte) *tensorProto {
	return &tensorProto{dims: []int64{int64(len(v))}, dataType: tUint8, raw: append([]byte{}, v...)}
}

// valueInfo declares a graph input or output: a tensor whose dimensions are
// fixed sizes (>= 0) or named (dimParam, used where a size is -1).
type valueInfo struct {
	name     string
	elemType int
	dims     []int64
	dimParam string
	doc      string
}

type shapeDim struct {
	value int64
	param string
}

func (d shapeDim) append(b enc) enc {
	if d.param != "" {
		return b.str(2, d.param)
	}
	return b.tag(1, 0).varint(uint64(d.value))
}

type dimsProto []shapeDim

func (s dimsProto) append(b enc) enc {
	for _, d := range s {
		b = b.msg(1, d)
	}
	return b
}

type tensorType struct {
	elem  int
	shape dimsProto
}

func (t tensorType) append(b enc) enc { return b.uint(1, int64(t.elem)).msg(2, t.shape) }

type typeProto struct{ tensor tensorType }

func (t typeProto) append(b enc) enc { return b.msg(1, t.tensor) }

func (v valueInfo) append(b enc) enc {
	var shape dimsProto
	for _, d := range v.dims {
		if d < 0 {
			shape = append(shape, shapeDim{param: v.dimParam})
		} else {
			shape = append(shape, shapeDim{value: d})
		}
	}
	return b.str(1, v.name).msg(2, typeProto{tensorType{v.elemType, shape}}).str(3, v.doc)
}
