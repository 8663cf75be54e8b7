package onnx

import (
	"fmt"

	"github.com/goautoml/automl/bundle"
)

// FromModel encodes a loaded bundle: every member with its normalised weight, the
// bundle's calibration and its decision threshold. producer is written as the model's
// producer_version.
func FromModel(m *bundle.Model, producer string) ([]byte, error) {
	b := Bundle{Name: fmt.Sprintf("%s trial %d", m.Experiment, m.TrialID), Classes: m.Classes, Producer: producer}
	for _, l := range m.Members() {
		b.Members = append(b.Members, Member{Weight: l.Weight, Prep: l.Prep, Family: l.Family, Model: l.Classifier})
	}
	if c := m.Calibration; c != nil {
		cal := &Calibration{Method: c.Method, Prior: c.Prior, Temperature: c.Temperature}
		for _, mp := range c.Maps {
			cal.Maps = append(cal.Maps, CalibrationMap{Class: mp.Class, A: mp.A, B: mp.B, X: mp.X, Y: mp.Y})
		}
		b.Calibration = cal
	}
	if t := m.Threshold; t != nil {
		b.Threshold = &Threshold{Value: t.Value, Positive: m.Positive}
	}
	data, err := Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("onnx: trial %d: %w", m.TrialID, err)
	}
	return data, nil
}
