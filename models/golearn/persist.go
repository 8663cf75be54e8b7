package golearn

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sjwhitworth/golearn/base"

	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/store"
)

// ModelFile is golearn's serialization of the fitted model (a gzipped
// tar), and InfoFile what the adapter needs besides it.
const (
	ModelFile = "model.golearn"
	InfoFile  = "golearn.json"
)

type info struct {
	Family   models.Family `json:"family"`
	Classes  int           `json:"classes"`
	Features int           `json:"features"`
	Learner  string        `json:"learner"` // golearn's metadata name, for people
}

// save writes the model with golearn's serializer (not its Save methods:
// ID3's leaves the file unflushed and prints to standard output).
func (m *Classifier) save(dir string) (err error) {
	tmp, err := os.CreateTemp(dir, "."+ModelFile+".tmp*")
	if err != nil {
		return fmt.Errorf("models: save %s: %w", m.Family, err)
	}
	tmp.Close()
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	meta := m.Model.GetMetadata()
	err = guard("save", func() error {
		w, err := base.CreateSerializedClassifierStub(tmp.Name(), meta)
		if err != nil {
			return err
		}
		if err := m.Model.SaveWithPrefix(w, ""); err != nil {
			w.Close()
			return err
		}
		return w.Close()
	})
	if err != nil {
		return fmt.Errorf("models: save %s: %w", m.Family, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, ModelFile)); err != nil {
		return fmt.Errorf("models: save %s: %w", m.Family, err)
	}
	b, err := json.Marshal(info{Family: m.Family, Classes: m.Setup.Classes, Features: m.Features, Learner: meta.ClassifierName})
	if err != nil {
		return fmt.Errorf("models: save %s: %w", m.Family, err)
	}
	if err := store.WriteFile(filepath.Join(dir, InfoFile), b); err != nil {
		return fmt.Errorf("models: save %s: %w", m.Family, err)
	}
	return nil
}

// load reads what save wrote into a fresh classifier from the factory.
func load(dir string, f models.Family, factory Factory, setup models.Setup) (models.Classifier, error) {
	b, err := os.ReadFile(filepath.Join(dir, InfoFile))
	if err != nil {
		return nil, fmt.Errorf("models: load %s: %w", f, err)
	}
	var in info
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("models: load %s: %s: %w", f, InfoFile, err)
	}
	switch {
	case in.Family != f:
		return nil, fmt.Errorf("models: load %s: %s holds a %s model", f, dir, in.Family)
	case in.Features < 1:
		return nil, fmt.Errorf("models: load %s: %s: %d features", f, InfoFile, in.Features)
	}
	if err := models.CheckClasses(in.Classes, setup); err != nil {
		return nil, fmt.Errorf("models: load %s: %w", f, err)
	}
	c := factory(setup.Seed)
	err = guard("load", func() error {
		r, err := base.ReadSerializedClassifierStub(filepath.Join(dir, ModelFile))
		if err != nil {
			return err
		}
		defer r.Close()
		return c.LoadWithPrefix(r, "")
	})
	if err != nil {
		return nil, fmt.Errorf("models: load %s: %w", f, err)
	}
	return &Classifier{Family: f, Factory: factory, Setup: setup, Model: c, Features: in.Features}, nil
}
