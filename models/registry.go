package models

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
)

// Descriptor is everything the rest of the program knows about a model
// family. A family's package fills one in and calls Register from its init
// function, as database/sql drivers do; everything else asks the registry.
type Descriptor struct {
	// Name is the family's identifier (CLI flags, JSON, folder names).
	Name Family
	// Label is the family's name for people (the web UI, reports).
	Label string
	// Order places the family in All and so in the default search: the
	// search tries families in increasing Order.
	Order int
	// OptIn families are registered but searched only when the user
	// includes them by name.
	OptIn bool
	// Package is the import path of the package that registers the family
	// ("" for families registered at run time, such as golearn's).
	// Generated Go code (the notebooks) imports it, which registers the
	// family there too, and spells the family as <package name>.Name, so
	// such a package exports its name as the constant Name.
	Package string

	// NewParams returns a zero value of the family's params, for decoding.
	NewParams func() Params
	// Default returns the family's default params.
	Default func() Params
	// New returns an unfitted classifier; p and setup are already valid.
	New func(p Params, setup Setup) (Classifier, error)
	// Save writes the fitted classifier c (made by New from p) into dir.
	Save func(dir string, p Params, c Classifier) error
	// Load reads what Save wrote; setup is valid.
	Load func(dir string, p Params, setup Setup) (Classifier, error)
	// Space is the family's search space for data of the given shape.
	Space func(Shape) Space
	// Describe is a one-line summary of p for leaderboards (nil: none).
	Describe func(p Params) string

	// MaxTrainRows, when positive, leaves the family out of a search whose
	// training set is larger, unless the user includes it by name.
	MaxTrainRows int
	// SkipReason says why, for the guardrail shown to the user.
	SkipReason string
	// Refit, when set, adjusts the params of the model refit on all
	// non-test rows after cross-validation, from the best iterations the
	// folds' models kept (BestIterationer). It returns the params to fit
	// and the best iteration to record (0: none).
	Refit func(p Params, best []int) (Params, int)
	// Cost estimates a trial's cost for the search's scheduling (nil: a
	// pass over the cells; see EstimateCost).
	Cost Cost
}

var registry = struct {
	sync.RWMutex
	m map[Family]*Descriptor
}{m: map[Family]*Descriptor{}}

// Register makes a family known. It panics when d lacks a required field or
// when the name is taken: both are programmer errors, found at start-up.
func Register(d *Descriptor) {
	switch {
	case d == nil || d.Name == "":
		panic("models: Register of a family without a name")
	case d.NewParams == nil || d.Default == nil || d.New == nil || d.Save == nil || d.Load == nil || d.Space == nil:
		panic(fmt.Sprintf("models: Register(%q): NewParams, Default, New, Save, Load and Space are required", d.Name))
	case d.Name == "family":
		panic(`models: Register("family"): the name is the spec's own key`)
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.m[d.Name]; dup {
		panic(fmt.Sprintf("models: Register called twice for family %q", d.Name))
	}
	registry.m[d.Name] = d
}

// Lookup returns the descriptor of a registered family.
func Lookup(name Family) (*Descriptor, bool) {
	registry.RLock()
	defer registry.RUnlock()
	d, ok := registry.m[name]
	return d, ok
}

// All returns every registered family's descriptor by Order (then name).
func All() []*Descriptor {
	registry.RLock()
	out := make([]*Descriptor, 0, len(registry.m))
	for _, d := range registry.m {
		out = append(out, d)
	}
	registry.RUnlock()
	slices.SortFunc(out, func(a, b *Descriptor) int {
		return cmp.Or(cmp.Compare(a.Order, b.Order), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// Names returns the names of the registered families by Order; with
// optIn false, the opt-in families are left out (the default search).
func Names(optIn bool) []Family {
	var out []Family
	for _, d := range All() {
		if optIn || !d.OptIn {
			out = append(out, d.Name)
		}
	}
	return out
}

// Label is the family's label for people, or its name when it is not
// registered.
func Label(f Family) string {
	if d, ok := Lookup(f); ok && d.Label != "" {
		return d.Label
	}
	if l, ok := labels.Load(f); ok {
		return l.(string)
	}
	return string(f)
}

// labels are the display names of families that are not model families
// (the ensembles package automl records), set by RegisterLabel.
var labels sync.Map

// RegisterLabel gives Label a display name for a family that has no
// descriptor, such as automl's ensemble trials.
func RegisterLabel(f Family, label string) { labels.Store(f, label) }

// lookup is Lookup with an error naming the known families.
func lookup(f Family) (*Descriptor, error) {
	if d, ok := Lookup(f); ok {
		return d, nil
	}
	return nil, fmt.Errorf("models: unknown family %q (want one of %v)", f, Names(true))
}

// Limit reads a size limit whose zero means "none" for a Describe
// summary: "at most 6 depth" would be odd, so it says "depth at most 6"
// or "depth unlimited".
func Limit(what string, n int) string {
	if n <= 0 {
		return what + " unlimited"
	}
	return fmt.Sprintf("%s at most %d", what, n)
}
