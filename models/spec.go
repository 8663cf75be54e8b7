package models

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// Spec is a model family and its hyperparameters. Params holds the
// family's params type (a pointer to its struct); ParamsOf reads it back
// typed.
//
// Its JSON is {"family":"gbdt","gbdt":{...}}: the params sit under the
// family's name, as they did when Spec was a struct with one field per
// family, so trials.jsonl and bundles written before the registry read the
// same. A spec of a family this program does not know (a user's family
// registered by another program) decodes with nil Params and its JSON kept,
// so it is written back unchanged; New, Save and Load refuse it.
type Spec struct {
	Family Family
	Params Params
	raw    json.RawMessage // the params of an unregistered family
}

// ParamsOf returns s's params as T (for example *tree.GBDTParams), false
// when they are of another type.
func ParamsOf[T Params](s Spec) (T, bool) {
	p, ok := s.Params.(T)
	return p, ok
}

// MarshalJSON writes {"family":name,name:params}, or {"family":name} when
// Params is nil.
func (s Spec) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	name, err := json.Marshal(string(s.Family))
	if err != nil {
		return nil, err
	}
	b.WriteString(`{"family":`)
	b.Write(name)
	params := s.raw
	if s.Params != nil {
		if params, err = json.Marshal(s.Params); err != nil {
			return nil, fmt.Errorf("models: spec of family %s: %w", s.Family, err)
		}
	}
	if params != nil {
		b.WriteByte(',')
		b.Write(name)
		b.WriteByte(':')
		b.Write(params)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads what MarshalJSON writes. Keys other than "family"
// and the family's name are an error when they name another registered
// family (a spec sets one family's params) and ignored otherwise.
func (s *Spec) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	var fam string
	if raw, ok := m["family"]; ok {
		if err := json.Unmarshal(raw, &fam); err != nil {
			return fmt.Errorf("models: spec family: %w", err)
		}
	}
	*s = Spec{Family: Family(fam)}
	for k := range m {
		if k == "family" || k == fam {
			continue
		}
		if _, ok := Lookup(Family(k)); ok {
			return fmt.Errorf("models: spec of family %s also sets params of %s", fam, k)
		}
	}
	raw, ok := m[fam]
	if !ok || fam == "" || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil
	}
	d, known := Lookup(s.Family)
	if !known {
		s.raw = raw
		return nil
	}
	p := d.NewParams()
	if err := json.Unmarshal(raw, p); err != nil {
		return fmt.Errorf("models: %s params: %w", fam, err)
	}
	s.Params = p
	return nil
}

// Validate checks that Family is registered and that its params are set,
// of its type and in range.
func (s Spec) Validate() error {
	d, err := lookup(s.Family)
	if err != nil {
		return err
	}
	if s.Params == nil {
		return fmt.Errorf("models: spec of family %s has no %s params", s.Family, s.Family)
	}
	if want := d.NewParams(); reflect.TypeOf(want) != reflect.TypeOf(s.Params) {
		return fmt.Errorf("models: spec of family %s holds %T params, want %T", s.Family, s.Params, want)
	}
	if err := s.Params.Validate(); err != nil {
		return fmt.Errorf("models: %s: %w", s.Family, err)
	}
	return nil
}

// New validates s and setup and returns an unfitted classifier.
func (s Spec) New(setup Setup) (Classifier, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := setup.Validate(); err != nil {
		return nil, err
	}
	d, _ := Lookup(s.Family)
	return d.New(s.Params, setup)
}

// Describe is the family's one-line summary of the params ("" when the
// family has none or is not registered).
func (s Spec) Describe() string {
	d, ok := Lookup(s.Family)
	if !ok || d.Describe == nil || s.Params == nil {
		return ""
	}
	return d.Describe(s.Params)
}

// DefaultSpec returns f with its default hyperparameters. It panics on an
// unregistered family (a programmer error).
func DefaultSpec(f Family) Spec {
	d, ok := Lookup(f)
	if !ok {
		panic(fmt.Sprintf("models: DefaultSpec of unknown family %q", f))
	}
	return Spec{Family: f, Params: d.Default()}
}
