package mlflow

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goautoml/automl/dataset"
	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// germanCreditModel describes a model over a few German Credit columns (the product's model
// case), with a bundle written to a temporary directory.
func germanCreditModel(t *testing.T) ModelInfo {
	t.Helper()
	bundle := t.TempDir()
	os.MkdirAll(filepath.Join(bundle, "model"), 0o755)
	os.WriteFile(filepath.Join(bundle, "model.json"), []byte(`{"family":"gbdt","classes":["bad","good"]}`+"\n"), 0o644)
	os.WriteFile(filepath.Join(bundle, "model", "lightgbm.txt"), []byte("tree\nversion=v3\n"), 0o644)
	return ModelInfo{
		Flavor:        "goautoml",
		FlavorVersion: "0.1.0",
		FlavorConfig:  map[string]string{"model_family": "gbdt", "bundle_format": "model.json"},
		BundleDir:     bundle,
		Inputs: []ColumnSpec{
			{Type: KindType(dataset.Numeric), Name: "duration", Required: true},
			{Type: KindType(dataset.Categorical), Name: "credit_history", Required: true},
			{Type: TypeLong, Name: "age", Required: false},
			{Type: KindType(dataset.Boolean), Name: "foreign_worker", Required: false},
			{Type: KindType(dataset.Datetime), Name: "applied", Required: false},
		},
		Outputs: []ColumnSpec{
			{Type: TypeString, Name: "label", Required: true},
			{Type: TypeDouble, Name: "probability_good", Required: true},
		},
		Example: []string{"24", "existing paid", "35", "yes", ""},
		RunID:   "0123456789abcdef0123456789abcdef",
		Seed:    42,
		Created: time.Date(2026, 11, 24, 15, 4, 5, 123456000, time.UTC),
	}
}

func TestWriteModelDir(t *testing.T) {
	m := germanCreditModel(t)
	dir := filepath.Join(t.TempDir(), "model")
	if err := WriteModelDir(dir, m); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "MLmodel"))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "MLmodel.golden")
	if *update {
		os.WriteFile(golden, raw, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != string(want) {
		t.Errorf("MLmodel differs from %s (run with -update to accept):\n%s", golden, raw)
	}

	var doc struct {
		ArtifactPath   string                    `yaml:"artifact_path"`
		Flavors        map[string]map[string]any `yaml:"flavors"`
		ModelUUID      string                    `yaml:"model_uuid"`
		ModelSize      int64                     `yaml:"model_size_bytes"`
		RunID          string                    `yaml:"run_id"`
		UTCTimeCreated string                    `yaml:"utc_time_created"`
		Signature      map[string]any            `yaml:"signature"`
		Example        map[string]string         `yaml:"saved_input_example_info"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("MLmodel is not YAML: %v", err)
	}
	if doc.ArtifactPath != "model" || doc.RunID != m.RunID || doc.UTCTimeCreated != "2026-11-24 15:04:05.123456" {
		t.Errorf("artifact_path %q, run_id %q, utc_time_created %q", doc.ArtifactPath, doc.RunID, doc.UTCTimeCreated)
	}
	if len(doc.ModelUUID) != 32 || doc.ModelUUID[12] != '4' || doc.ModelSize <= 0 {
		t.Errorf("model_uuid %q, model_size_bytes %d", doc.ModelUUID, doc.ModelSize)
	}
	fl := doc.Flavors["goautoml"]
	if len(doc.Flavors) != 1 || fl["data"] != "bundle" || fl["model_family"] != "gbdt" || fl["goautoml_version"] != "0.1.0" {
		t.Errorf("flavors = %v", doc.Flavors)
	}
	// Inputs and outputs are JSON strings inside the YAML, as MLflow's loader expects.
	for _, side := range []string{"inputs", "outputs"} {
		s, ok := doc.Signature[side].(string)
		if !ok {
			t.Fatalf("signature %s is %T, want a JSON string", side, doc.Signature[side])
		}
		var cols []map[string]any
		if err := json.Unmarshal([]byte(s), &cols); err != nil {
			t.Fatalf("signature %s: %v", side, err)
		}
		for _, c := range cols {
			if !ColumnType(c["type"].(string)).Valid() || c["name"] == "" {
				t.Errorf("signature %s column %v", side, c)
			}
		}
		if side == "inputs" && (len(cols) != 5 || cols[0]["type"] != "double" || cols[1]["type"] != "string" || cols[2]["required"] != false) {
			t.Errorf("inputs = %v", cols)
		}
	}
	if doc.Example["artifact_path"] != "input_example.json" || doc.Example["type"] != "dataframe" ||
		doc.Example["pandas_orient"] != "split" || doc.Example["serving_input_path"] != "serving_input_example.json" {
		t.Errorf("saved_input_example_info = %v", doc.Example)
	}
	var example struct {
		Columns []string `json:"columns"`
		Data    [][]any  `json:"data"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "input_example.json"))
	if err := json.Unmarshal(b, &example); err != nil {
		t.Fatal(err)
	}
	wantRow := []any{24.0, "existing paid", 35.0, true, nil}
	if strings.Join(example.Columns, ",") != "duration,credit_history,age,foreign_worker,applied" || len(example.Data) != 1 ||
		!sameJSON(example.Data[0], wantRow) {
		t.Errorf("input_example.json = %s", b)
	}
	var serving struct {
		Split struct {
			Columns []string `json:"columns"`
			Data    [][]any  `json:"data"`
		} `json:"dataframe_split"`
	}
	b, _ = os.ReadFile(filepath.Join(dir, "serving_input_example.json"))
	if err := json.Unmarshal(b, &serving); err != nil || len(serving.Split.Columns) != 5 || !sameJSON(serving.Split.Data[0], wantRow) {
		t.Errorf("serving_input_example.json = %s (%v)", b, err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "bundle", "model", "lightgbm.txt")); err != nil || string(got) != "tree\nversion=v3\n" {
		t.Errorf("bundle copy: %q, %v", got, err)
	}
	// No temporary directory is left beside the model.
	if entries, _ := os.ReadDir(filepath.Dir(dir)); len(entries) != 1 {
		t.Errorf("parent holds %d entries", len(entries))
	}
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestModelUUIDIsDeterministic(t *testing.T) {
	m := germanCreditModel(t)
	read := func(m ModelInfo) string {
		dir := filepath.Join(t.TempDir(), "m")
		if err := WriteModelDir(dir, m); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			UUID string `yaml:"model_uuid"`
		}
		b, _ := os.ReadFile(filepath.Join(dir, "MLmodel"))
		yaml.Unmarshal(b, &doc)
		return doc.UUID
	}
	a, b := read(m), read(m)
	m2 := m
	m2.RunID = "another"
	m3 := m
	m3.UUID = "feedfacefeedfacefeedfacefeedface"
	if a != b || a == read(m2) || read(m3) != m3.UUID {
		t.Errorf("uuids: %s %s %s %s", a, b, read(m2), read(m3))
	}
}

func TestWriteModelDirRejects(t *testing.T) {
	cases := []struct {
		name   string
		change func(*ModelInfo)
		want   string
	}{
		{"python_function", func(m *ModelInfo) { m.Flavor = "python_function" }, "written by PythonFunction"},
		{"binary without pyfunc", func(m *ModelInfo) { m.Binary = "/bin/true" }, "only used by the python_function flavor"},
		{"extra file outside", func(m *ModelInfo) { m.Files = map[string][]byte{"../x.onnx": nil} }, "is not a relative path"},
		{"bad flavor", func(m *ModelInfo) { m.Flavor = "go automl" }, "not a valid flavor name"},
		{"numpy type", func(m *ModelInfo) { m.Inputs[0].Type = "float64" }, `type "float64" is not an MLflow column type`},
		{"no outputs", func(m *ModelInfo) { m.Outputs = nil }, "at least one input and one output"},
		{"duplicate column", func(m *ModelInfo) { m.Inputs[1].Name = "duration" }, `"duration" appears twice`},
		{"short example", func(m *ModelInfo) { m.Example = m.Example[:2] }, "2 values for 5 input columns"},
		{"bad example", func(m *ModelInfo) { m.Example[0] = "two years" }, `example column "duration": "two years" is not a number`},
		{"bad boolean", func(m *ModelInfo) { m.Example[3] = "maybe" }, "is not a boolean"},
		{"reserved flavor key", func(m *ModelInfo) { m.FlavorConfig["data"] = "x" }, "reserved"},
		{"no bundle", func(m *ModelInfo) { m.BundleDir = filepath.Join(m.BundleDir, "missing") }, "copy bundle"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := germanCreditModel(t)
			c.change(&m)
			dir := filepath.Join(t.TempDir(), "model")
			err := WriteModelDir(dir, m)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if _, statErr := os.Stat(dir); !os.IsNotExist(statErr) {
				t.Errorf("a failed write left %s", dir)
			}
		})
	}
	// A non-empty target is refused.
	m := germanCreditModel(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "old"), nil, 0o644)
	if err := WriteModelDir(dir, m); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("non-empty dir: %v", err)
	}
}
