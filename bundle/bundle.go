package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/preprocess"
	"github.com/goautoml/automl/store"
)

// Format is the version of model.json Save writes. Format 1 is read too.
const Format = 2

// EnsembleFamily is the Family of a bundle with several members.
// It is not a registered family: no classifier is made from it.
const EnsembleFamily models.Family = "ensemble"

// Bundle is model.json: what a bundle scores with, apart from the members'
// classifier files.
type Bundle struct {
	Format     int    `json:"format"`
	Experiment string `json:"experiment"`
	// TrialID is the trial the bundle was saved for (-1: none yet).
	TrialID int `json:"trial_id"`
	// Family is the single member's family, or EnsembleFamily.
	Family   models.Family `json:"family"`
	Target   string        `json:"target"`
	Classes  []string      `json:"classes"`
	Positive int           `json:"positive"` // index of the positive class (binary), -1 for multiclass
	// Inputs are the columns a row must have: the union of the members'
	// input columns, in the order of their first use.
	Inputs  []Input  `json:"inputs"`
	Members []Member `json:"members"`
	// Calibration, when set, maps the combined probabilities (see Calibration).
	Calibration *Calibration `json:"calibration,omitempty"`
	// Threshold, when set, decides the label of a binary target (see Threshold).
	Threshold  *Threshold         `json:"threshold,omitempty"`
	DataSHA256 string             `json:"data_sha256"`
	Metric     string             `json:"metric"`
	Val        map[string]float64 `json:"val"`
	Test       map[string]float64 `json:"test"`
	// Refit, when set, says the members were refit after the search on
	// more rows than they were scored on ("all": every row, test rows
	// included): Val and Test are then the scores of the trial as it was
	// searched, measured before the refit.
	Refit string `json:"refit,omitempty"`
	// NotRefit, with Refit set, lists the members (trial IDs) that keep
	// their searched fit: a timed run's budget ended before their refit
	// (the heaviest members are refit first).
	NotRefit []int `json:"not_refit,omitempty"`
}

// Member is one fitted pipeline and classifier of a bundle. Its classifier
// files are in store.BundleModel(dir, k), k its index in Bundle.Members.
type Member struct {
	// Weight is the member's share of the combined probabilities; weights
	// are normalised to sum to 1 when the bundle is loaded.
	Weight float64 `json:"weight"`
	// TrialID is the trial the member was fitted by.
	TrialID int                  `json:"trial_id"`
	Family  models.Family        `json:"family"`
	Prep    *preprocess.Pipeline `json:"prep"`
	Model   models.Spec          `json:"model"`
	Setup   models.Setup         `json:"setup"`
}

// Input is one column a bundle needs, with an example value taken from a
// training row and, for categorical columns, the values seen in training.
type Input struct {
	Name       string       `json:"name"`
	Kind       dataset.Kind `json:"kind"`
	Example    string       `json:"example"`
	Categories []string     `json:"categories,omitempty"`
	// Missing tells whether training rows had missing values in the column.
	Missing bool `json:"missing"`
}

// format1 is model.json as format 1 wrote it: one model at the top level.
type format1 struct {
	Bundle
	Family models.Family        `json:"family"`
	Prep   *preprocess.Pipeline `json:"prep"`
	Model  models.Spec          `json:"model"`
	Setup  models.Setup         `json:"setup"`
}

// Read reads and checks the model.json of the bundle folder dir (format 1
// or 2); it does not load the classifiers.
func Read(dir string) (*Bundle, error) {
	p := store.Bundle(dir)
	raw, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("%s is not a model bundle: %w", dir, err)
	}
	var head struct {
		Format int `json:"format"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	var b Bundle
	switch head.Format {
	case 1:
		var old format1
		if err := json.Unmarshal(raw, &old); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		b = old.Bundle
		b.Family = old.Family
		b.Members = []Member{{Weight: 1, TrialID: b.TrialID, Family: old.Family, Prep: old.Prep, Model: old.Model, Setup: old.Setup}}
	case Format:
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	default:
		return nil, fmt.Errorf("%s: bundle format %d, this program reads formats 1 and %d", p, head.Format, Format)
	}
	if err := b.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return &b, nil
}

// check validates what scoring relies on.
func (b *Bundle) check() error {
	if len(b.Classes) < 2 {
		return fmt.Errorf("bundle lists %d classes, want at least 2", len(b.Classes))
	}
	if len(b.Members) == 0 {
		return errors.New("bundle has no members")
	}
	for k, m := range b.Members {
		if m.Prep == nil {
			return fmt.Errorf("member %d has no preprocessing", k)
		}
		if !(m.Weight > 0) || math.IsInf(m.Weight, 0) {
			return fmt.Errorf("member %d: weight %v, want a positive number", k, m.Weight)
		}
	}
	if b.Calibration != nil {
		if err := b.Calibration.check(len(b.Classes)); err != nil {
			return err
		}
	}
	if b.Threshold != nil {
		if err := b.Threshold.check(len(b.Classes), b.Positive); err != nil {
			return err
		}
	}
	return nil
}

// Write writes b as dir's model.json (format 2), atomically. The members'
// classifier files must be in place already (Save writes both).
func (b *Bundle) Write(dir string) error {
	b.Format = Format
	if err := b.check(); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	return store.WriteJSON(store.Bundle(dir), b)
}

// Save writes a bundle folder: each member's classifier clfs[k] into
// store.BundleModel(dir, k), then model.json, last, so that a folder with
// model.json is complete.
func Save(dir string, b *Bundle, clfs []models.Classifier) error {
	if len(clfs) != len(b.Members) {
		return fmt.Errorf("bundle: %d classifiers for %d members", len(clfs), len(b.Members))
	}
	for k, m := range b.Members {
		if err := models.Save(store.BundleModel(dir, k), m.Model, clfs[k]); err != nil {
			return fmt.Errorf("save member %d: %w", k, err)
		}
	}
	return b.Write(dir)
}

// IsFile tells whether the slash-separated path rel inside a bundle (or
// trial) folder is part of the bundle: model.json, model/ and members/ with
// everything under them.
func IsFile(rel string) bool {
	rel = path.Clean(rel)
	for _, d := range []string{store.ModelDir, store.MembersDir} {
		if rel == d || strings.HasPrefix(rel, d+"/") {
			return true
		}
	}
	return rel == store.BundleFile
}

// Resolve turns ".../best" (runs/<exp>/best or runs/<exp>/trials/best) into
// the folder of the experiment's best trial, read from experiment.json;
// other paths, and a "best" folder holding a bundle, are returned as they are.
func Resolve(dir string) (string, error) {
	if filepath.Base(dir) != store.BestAlias {
		return dir, nil
	}
	if _, err := os.Stat(store.Bundle(dir)); err == nil {
		return dir, nil
	}
	exp := filepath.Dir(dir)
	if filepath.Base(exp) == store.TrialsDir {
		exp = filepath.Dir(exp)
	}
	l := store.At(exp)
	raw, err := os.ReadFile(l.Experiment())
	if err != nil {
		return "", fmt.Errorf("%s is not an experiment folder (no %s)", exp, store.ExperimentFile)
	}
	var e struct {
		Best *int `json:"best"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return "", fmt.Errorf("%s: %w", l.Experiment(), err)
	}
	if e.Best == nil {
		return "", fmt.Errorf("%s has no successful trial yet", exp)
	}
	return l.Trial(*e.Best), nil
}
