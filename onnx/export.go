package onnx

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/preprocess"
)

// Opset versions the written models import.
const (
	irVersion = 10
	opsetONNX = 18 // ai.onnx
	opsetML   = 5  // ai.onnx.ml: TreeEnsemble
)

// Member is one fitted pipeline of a bundle.
type Member struct {
	Weight float64 // share of the bundle's probabilities; ignored with one member
	Prep   *preprocess.Pipeline
	Family models.Family
	Model  models.Classifier // fitted or loaded
}

// Bundle is what Write exports: the class labels, in the order of the
// probabilities, and the members whose weighted probabilities sum to the
// bundle's.
type Bundle struct {
	Name    string // graph name, for people reading the model
	Classes []string
	Members []Member
	// Producer is written as the model's producer_version (the binary's
	// version).
	Producer string
	// Calibration, when set, maps the blended probabilities.
	Calibration *Calibration
	// Threshold, when set, decides the label of a binary target.
	Threshold *Threshold
}

// Write encodes b as an ONNX model into w. A member whose family or input
// kinds ONNX cannot express exactly gives an error wrapping ErrUnsupported
// that names them.
func Write(w io.Writer, b Bundle) error {
	data, err := Marshal(b)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// Marshal returns the ONNX model of b as bytes.
func Marshal(b Bundle) ([]byte, error) {
	if len(b.Members) == 0 {
		return nil, fmt.Errorf("onnx: the bundle has no members")
	}
	K := len(b.Classes)
	if K < 2 {
		return nil, fmt.Errorf("onnx: the bundle has %d classes, need at least 2", K)
	}
	g := newGraph()
	var sum string
	for i, m := range b.Members {
		if m.Prep == nil || m.Model == nil {
			return nil, fmt.Errorf("onnx: member %d has no pipeline or model", i)
		}
		x, err := g.features(m.Prep)
		if err != nil {
			return nil, fmt.Errorf("member %d (%s): %w", i, m.Family, err)
		}
		p, err := g.proba(x, m.Family, m.Model, K)
		if err != nil {
			return nil, fmt.Errorf("member %d (%s): %w", i, m.Family, err)
		}
		if len(b.Members) == 1 {
			sum = p
			break
		}
		p = g.node("Mul", []string{p, g.scalar(m.Weight)})
		if sum == "" {
			sum = p
		} else {
			sum = g.node("Add", []string{sum, p})
		}
	}
	if b.Calibration != nil {
		cal, err := g.calibrate(sum, K, b.Calibration)
		if err != nil {
			return nil, err
		}
		sum = cal
	}
	g.rename(sum, "probabilities")
	var best string
	if t := b.Threshold; t != nil {
		if K != 2 || t.Positive < 0 || t.Positive > 1 {
			return nil, fmt.Errorf("onnx: a threshold needs a binary target and a positive class 0 or 1")
		}
		best = g.thresholdLabel("probabilities", t)
	} else {
		best = g.node("ArgMax", []string{"probabilities"}, intAttr("axis", 1), intAttr("keepdims", 0))
	}
	ids := make([]int64, K)
	for k := range ids {
		ids[k] = int64(k)
	}
	label := g.ml("LabelEncoder", []string{best}, intsAttr("keys_int64s", ids),
		strsAttr("values_strings", b.Classes), strAttr("default_string", ""))
	g.rename(label, "label")
	g.g.name = b.Name
	if g.g.name == "" {
		g.g.name = "automl"
	}
	g.g.outputs = []valueInfo{
		{name: "label", elemType: tString, dims: []int64{-1}, dimParam: "N", doc: "the most probable class"},
		{name: "probabilities", elemType: tDouble, dims: []int64{-1, int64(K)}, dimParam: "N", doc: "class probabilities, columns in the order of the classes metadata"},
	}
	m := &modelProto{irVersion: irVersion, producerName: "goautoml", producerVersion: b.Producer,
		graph: &g.g, opsets: []opsetProto{{"", opsetONNX}, {"ai.onnx.ml", opsetML}},
		metadata: [][2]string{{"classes", joinClasses(b.Classes)}}}
	return m.append(nil), nil
}

// joinClasses writes the class labels as a JSON array.
func joinClasses(c []string) string {
	data, _ := json.Marshal(c) // strings always marshal
	return string(data)
}
