package automl

import (
	"fmt"
	"slices"
	"sort"
	"strconv"

	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/models"
)

// BundleFormat is the version of model.json this code writes.
const BundleFormat = bundle.Format

// maxEnum caps how many category values a bundle lists per column.
const maxEnum = 1000

// ModelDir is the bundle's sub-folder holding the (first) member's own files.
//
// Deprecated: use store.BundleModel.
const ModelDir = "model"

// InputColumn is one column a bundle needs.
//
// Deprecated: use bundle.Input.
type InputColumn = bundle.Input

// Model is a loaded bundle.
//
// Deprecated: use bundle.Model; loading bundles is package bundle's.
type Model = bundle.Model

// LoadBundle reads the bundle in dir.
//
// Deprecated: use bundle.Load.
func LoadBundle(dir string) (*bundle.Model, error) { return bundle.Load(dir) }

// ResolveTrialDir turns "…/best" into the folder of the experiment's best trial.
//
// Deprecated: use bundle.Resolve.
func ResolveTrialDir(dir string) (string, error) { return bundle.Resolve(dir) }

// TrialBundle is trial t's model as a one-member bundle (format 2): inputs
// described from the training rows, the fitted pipeline and model, metrics.
func TrialBundle(d *Data, exp string, t Trial, f *Fitted) *bundle.Bundle {
	setup := f.Setup
	setup.Workers = 0
	b := &bundle.Bundle{
		Format: bundle.Format, Experiment: exp, TrialID: t.ID, Family: f.Spec.Family,
		Target: d.Target.Column, Classes: d.Target.Classes, Positive: d.Target.Positive,
		Members:    []bundle.Member{{Weight: 1, TrialID: t.ID, Family: f.Spec.Family, Prep: f.Pipeline, Model: f.Spec, Setup: setup}},
		DataSHA256: d.Frame.SHA256, Metric: d.Metric, Val: t.Val, Test: t.Test,
		Calibration: bundle.FromCalibrator(f.Calibration),
	}
	if f.Threshold != nil {
		b.Threshold = &bundle.Threshold{Version: bundle.ThresholdVersion, Value: *f.Threshold, Metric: thresholdMetric(d.Metric)}
	}
	for _, in := range f.Pipeline.Spec.Columns {
		b.Inputs = append(b.Inputs, d.describeInput(in.Name, in.Kind))
	}
	return b
}

// describeInput describes an input column from the training rows (with
// cross-validation, the training and validation rows), once per
// experiment: on a million rows it took longer than writing the bundle.
func (d *Data) describeInput(name string, kind dataset.Kind) bundle.Input {
	d.inputsMu.Lock()
	defer d.inputsMu.Unlock()
	k := inputKey{name, kind}
	in, ok := d.inputs[k]
	if !ok {
		train := d.Split.Train
		if len(d.Split.Folds) > 0 {
			train = append(slices.Clone(d.Split.Train), d.Split.Val...)
		}
		in = describeInput(d.Frame.Column(name), kind, train)
		if d.inputs == nil {
			d.inputs = map[inputKey]bundle.Input{}
		}
		d.inputs[k] = in
	}
	in.Categories = slices.Clone(in.Categories)
	return in
}

// SaveBundle writes trial t's bundle into dir.
func SaveBundle(dir string, d *Data, exp string, t Trial, f *Fitted) error {
	return bundle.Save(dir, TrialBundle(d, exp, t, f), []models.Classifier{f.Model})
}

func describeInput(c *dataset.Column, kind dataset.Kind, rows []int) bundle.Input {
	in := bundle.Input{Name: c.Name, Kind: kind}
	seen := map[string]bool{}
	for _, r := range rows {
		if c.Missing[r] {
			in.Missing = true
			continue
		}
		if in.Example == "" {
			in.Example = c.String(r)
		}
		if kind == dataset.Categorical && len(seen) <= maxEnum {
			if v := c.String(r); !seen[v] {
				seen[v] = true
			}
		}
	}
	if kind == dataset.Categorical && len(seen) <= maxEnum {
		for v := range seen {
			in.Categories = append(in.Categories, v)
		}
		sort.Strings(in.Categories)
	}
	return in
}

// TrialID parses a trial id argument ("best" gives -1).
func TrialID(s string) (int, error) {
	if s == "best" {
		return -1, nil
	}
	id, err := strconv.Atoi(s)
	if err != nil || id < 0 {
		return 0, fmt.Errorf("trial %q: expected a trial number or \"best\"", s)
	}
	return id, nil
}
