package notebookgen

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/preprocess"
)

// FuzzColumnNames puts odd text where user data reaches a notebook (column
// names, target, alerts, paths) and checks it stays valid nbformat and Go.
func FuzzColumnNames(f *testing.F) {
	_, e, trials := germanExperiment(f)
	for _, s := range []string{`a"b`, `back\slash`, "new\nline", "ünïcødé 列", "{{.X}}", "}}{{", "`tick`", "|pipe|", "%%", "!rm", "*/ /*", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		ex := *e
		ex.Name = name
		ex.Config.Target = name
		ex.Data.Path = "/data/" + name
		ex.Plan.Dropped = []automl.DroppedColumn{{Name: name, Reason: name}}
		prof := *e.Profile
		prof.Alerts = append([]dataset.Alert{{Column: name, Code: "text", Message: name}}, prof.Alerts...)
		ex.Profile = &prof
		tr := trials[0]
		tr.Prep.Columns = append([]preprocess.Input{{Name: name, Kind: dataset.Categorical}}, tr.Prep.Columns...)
		tr.Prep.FillValue = name
		opt := Options{ModuleDir: "/src/" + name, StoreDir: "/runs/" + name}
		for _, build := range []func() (*Notebook, error){
			func() (*Notebook, error) { return Trial(&ex, tr, opt) },
			func() (*Notebook, error) { return Exploration(&ex, opt) },
		} {
			nb, err := build()
			if err != nil {
				t.Fatal(err)
			}
			data, err := nb.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(data) {
				t.Fatal("not JSON")
			}
			validNotebook(t, data, nb)
			// The name must not leak into the special-command lines GoNB runs.
			for _, c := range nb.CodeCells() {
				for _, line := range strings.Split(c, "\n") {
					if strings.HasPrefix(line, "!") && !strings.HasPrefix(line, "!*go mod edit -replace=") {
						t.Fatalf("unexpected shell line %q", line)
					}
				}
			}
		}
	})
}
