package onnx

import (
	"fmt"

	"github.com/goautoml/automl/automl"
)

// FromModel encodes a loaded bundle; producer is written as the model's
// producer_version.
func FromModel(m *automl.Model, producer string) ([]byte, error) {
	data, err := Marshal(Bundle{
		Name:     fmt.Sprintf("%s trial %d", m.Experiment, m.TrialID),
		Classes:  m.Classes,
		Members:  []Member{{Weight: 1, Prep: m.Prep, Family: m.Family, Model: m.Classifier()}},
		Producer: producer,
	})
	if err != nil {
		return nil, fmt.Errorf("onnx: trial %d: %w", m.TrialID, err)
	}
	return data, nil
}
