package notebookgen

import (
	"reflect"

	"github.com/goautoml/automl/automl"
)

// paramFields names every field of the trial's params struct and
// preprocessing spec.
func paramFields(tr automl.Trial) []string {
	var out []string
	add := func(v any) {
		t := reflect.TypeOf(v)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		for i := range t.NumField() {
			out = append(out, t.Field(i).Name)
		}
	}
	add(tr.Prep)
	m := reflect.ValueOf(tr.Model)
	for i := 1; i < m.NumField(); i++ {
		if f := m.Field(i); !f.IsNil() {
			add(f.Interface())
		}
	}
	return out
}
