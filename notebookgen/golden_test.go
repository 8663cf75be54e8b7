package notebookgen

import (
	"bytes"
	"flag"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/goautoml/automl/automl"
)

var update = flag.Bool("update", false, "rewrite the golden notebooks in testdata/golden")

// fixedOptions keep machine paths out of the golden files.
var fixedOptions = Options{ModuleDir: "/src/automl", StoreDir: "/runs/german", DataPath: "/data/german_credit.csv", Version: "0.1.0"}

var schema = func() *jsonschema.Schema {
	c := jsonschema.NewCompiler()
	s, err := c.Compile("testdata/nbformat.v4.5.schema.json")
	if err != nil {
		panic(err)
	}
	return s
}()

// validNotebook checks data against the nbformat 4.5 schema, and that every
// code cell is Go once GoNB's special lines are set aside.
func validNotebook(t testing.TB, data []byte, nb *Notebook) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if err := schema.Validate(v); err != nil {
		t.Fatalf("not a valid nbformat 4.5 notebook: %v", err)
	}
	src := goProgram(nb)
	if _, err := parser.ParseFile(token.NewFileSet(), "nb.go", src, parser.AllErrors); err != nil {
		t.Fatalf("code cells are not Go: %v\n%s", err, src)
	}
}

// recordedExperiment is a German Credit experiment record kept in testdata,
// so the golden files do not move when model code changes what a run records.
func recordedExperiment(t *testing.T) (*automl.Experiment, []automl.Trial) {
	e, trials, err := automl.ReadExperiment("testdata/store")
	if err != nil {
		t.Fatal(err)
	}
	return e, trials
}

func TestGolden(t *testing.T) {
	e, trials := recordedExperiment(t)
	var nbs = map[string]*Notebook{}
	nb, err := Exploration(e, fixedOptions)
	if err != nil {
		t.Fatal(err)
	}
	nbs["exploration.ipynb"] = nb
	for _, tr := range trials {
		if nb, err = Trial(e, tr, fixedOptions); err != nil {
			t.Fatal(err)
		}
		nbs["trial-"+string(tr.Model.Family)+".ipynb"] = nb
	}
	for name, nb := range nbs {
		data, err := nb.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		validNotebook(t, data, nb)
		path := filepath.Join("testdata", "golden", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create)", err)
		}
		if !bytes.Equal(data, want) {
			t.Errorf("%s differs from the golden file (run with -update if the change is meant)", name)
		}
	}
}

func TestCellIDsAndOrder(t *testing.T) {
	_, e, trials := germanExperiment(t)
	nb, err := Trial(e, trials[0], fixedOptions)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for i, c := range nb.Cells {
		if want := "trial-0-c" + twoDigits(i); c.ID != want {
			t.Errorf("cell %d id %q, want %q", i, c.ID, want)
		}
		kinds = append(kinds, c.Type)
	}
	order := []string{"# Trial", "mlflow", "## The data", "loadFrame", "## Columns", "## Preprocessing",
		"preprocess.Spec{", "## The split", "automl.PrepareFrame", "## The model", "models.Spec{", "## Fit",
		"clf.Fit(", "## Evaluate", "REPRODUCED", "ROCPlot", "## SHAP", "shap_bar.png", "## Score five",
		"mat.Row(nil, i, P)", "## Log to MLflow", "MLFLOW_TRACKING_URI"}
	text, _ := nb.Marshal()
	at := 0
	for _, s := range order {
		i := strings.Index(string(text[at:]), s)
		if i < 0 {
			t.Fatalf("%q missing or out of order", s)
		}
		at += i
	}
	if nb.Metadata.KernelSpec.Name != "gonb" {
		t.Errorf("kernel %q", nb.Metadata.KernelSpec.Name)
	}
	// Every hyperparameter field is spelled out.
	for _, tr := range trials {
		nb, _ := Trial(e, tr, fixedOptions)
		src := strings.Join(nb.CodeCells(), "\n")
		for _, f := range paramFields(tr) {
			if !strings.Contains(src, "\t"+f+": ") {
				t.Errorf("trial %d (%s): field %s not written out", tr.ID, tr.Model.Family, f)
			}
		}
	}
}

func twoDigits(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }

// TestFailedTrial refuses to write a notebook for a trial with no model.
func TestFailedTrial(t *testing.T) {
	_, e, trials := germanExperiment(t)
	bad := trials[0]
	bad.Status, bad.Error = "failed", "boom"
	if _, err := Trial(e, bad, fixedOptions); err == nil || !strings.Contains(err.Error(), "did not finish") {
		t.Fatalf("err = %v", err)
	}
}
