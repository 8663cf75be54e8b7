package models

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/goautoml/automl/store"
)

// Save writes the fitted model into dir (model files only; the bundle's
// model.json is automl's). c must be the classifier s.New made, fitted.
func Save(dir string, s Spec, c Classifier) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("models: save: %w", err)
	}
	d, _ := Lookup(s.Family)
	return d.Save(dir, s.Params, c)
}

// Load reads what Save wrote.
func Load(dir string, s Spec, setup Setup) (Classifier, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := setup.Validate(); err != nil {
		return nil, err
	}
	d, _ := Lookup(s.Family)
	return d.Load(dir, s.Params, setup)
}

// StateFile is the file SaveState writes, inside the directory it is given:
// the fitted state of families that keep it as JSON (logistic, knn,
// naive_bayes).
const StateFile = "model_state.json"

// SaveState writes a family's fitted state to dir/StateFile as
// {"family":f,f:state,"params":p}. Floats are written by encoding/json in
// their shortest exact form, so they read back bit for bit.
func SaveState(dir string, f Family, state any, p Params) error {
	name, err := json.Marshal(string(f))
	if err != nil {
		return fmt.Errorf("models: save %s: %w", f, err)
	}
	st, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("models: save %s: %w", f, err)
	}
	params, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("models: save %s: %w", f, err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"family":%s,%s:%s,"params":%s}`, name, name, st, params)
	if err := store.WriteFile(filepath.Join(dir, StateFile), b.Bytes()); err != nil {
		return fmt.Errorf("models: save: %w", err)
	}
	return nil
}

// LoadState reads the state SaveState wrote for family f into state (a
// pointer) and returns the file's path, for messages.
func LoadState(dir string, f Family, state any) (string, error) {
	path := filepath.Join(dir, StateFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return path, fmt.Errorf("models: load: %w", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return path, fmt.Errorf("models: load %s: %w", path, err)
	}
	var got Family
	if err := json.Unmarshal(m["family"], &got); err != nil {
		return path, fmt.Errorf("models: load %s: %w", path, err)
	}
	if got != f {
		return path, fmt.Errorf("models: load %s: file holds a %s model, spec wants %s", path, got, f)
	}
	raw, ok := m[string(f)]
	if !ok || bytes.Equal(raw, []byte("null")) {
		return path, fmt.Errorf("models: load %s: no %s state", path, f)
	}
	if err := json.Unmarshal(raw, state); err != nil {
		return path, fmt.Errorf("models: load %s: %w", path, err)
	}
	return path, nil
}

// CheckClasses reports a fitted state whose number of classes is not the
// setup's.
func CheckClasses(classes int, setup Setup) error {
	if classes != setup.Classes {
		return fmt.Errorf("model has %d classes, setup says %d", classes, setup.Classes)
	}
	return nil
}

// LoadCheckedState is LoadState followed by check, a family's test that the
// state's shapes agree with setup (a damaged file); its error names the file.
func LoadCheckedState(dir string, f Family, state any, check func(Setup) error, setup Setup) error {
	path, err := LoadState(dir, f, state)
	if err != nil {
		return err
	}
	if err := check(setup); err != nil {
		return fmt.Errorf("models: load %s: %w", path, err)
	}
	return nil
}
