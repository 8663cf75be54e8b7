package mlflow

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/bundle"
)

// pyfuncPython returns Debian's python3 when it has pandas and yaml; the test
// skips without them, unless AUTOML_CI=1.
func pyfuncPython(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import pandas, yaml").Run(); err != nil {
		if os.Getenv("AUTOML_CI") == "1" {
			t.Fatalf("AUTOML_CI=1 but %s lacks pandas or yaml (apt-get install python3-pandas python3-yaml): %v", py, err)
		}
		t.Skipf("%s without pandas and yaml: %v", py, err)
	}
	return py
}

// buildAutoML builds the automl binary (static, as --include-binary wants it).
func buildAutoML(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the automl binary")
	}
	bin := filepath.Join(t.TempDir(), "automl")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/goautoml/automl/cmd/automl")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// readScores reads `automl predict` CSV or the harness's JSON into rows of
// prediction and probabilities.
type scores struct {
	columns []string
	labels  []string
	probs   [][]float64
}

func predictCSV(t *testing.T, bin, bundle, data string) scores {
	t.Helper()
	out, err := exec.Command(bin, "predict", "--model", bundle, "--data", data, "--digits", "-1").Output()
	if err != nil {
		t.Fatalf("automl predict: %v", err)
	}
	recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	s := scores{columns: recs[0][1:]}
	for _, r := range recs[1:] {
		s.labels = append(s.labels, r[1])
		var p []float64
		for _, v := range r[2:] {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			p = append(p, f)
		}
		s.probs = append(s.probs, p)
	}
	return s
}

// pyfuncJob is one model scored by testdata/pyfunc_harness.py.
type pyfuncJob struct {
	Model   string            `json:"model"`
	Data    string            `json:"data"`
	Methods []string          `json:"methods"`
	Env     map[string]string `json:"env"`
}

// harness runs the jobs in one Python process; per job, the answers without params and
// then per method.
func harness(t *testing.T, py string, jobs []pyfuncJob) [][]scores {
	t.Helper()
	body, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "jobs.json")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, filepath.Join("testdata", "pyfunc_harness.py"), path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pyfunc harness: %v\n%s", err, stderr.String())
	}
	var answers [][]struct {
		Columns []string `json:"columns"`
		Data    [][]any  `json:"data"`
	}
	if err := json.Unmarshal(out, &answers); err != nil || len(answers) != len(jobs) {
		t.Fatalf("harness answer: %v: %s", err, out)
	}
	all := make([][]scores, len(jobs))
	for j, job := range answers {
		if len(job) != 1+len(jobs[j].Methods) {
			t.Fatalf("job %d: %d answers", j, len(job))
		}
		for _, res := range job {
			all[j] = append(all[j], harnessScores(t, res.Columns, res.Data))
		}
	}
	return all
}

func harnessScores(t *testing.T, columns []string, data [][]any) scores {
	t.Helper()
	res := struct {
		Columns []string
		Data    [][]any
	}{columns, data}
	s := scores{columns: res.Columns}
	for _, row := range res.Data {
		var p []float64
		for j, v := range row {
			switch x := v.(type) {
			case string:
				if res.Columns[j] != "prediction" {
					t.Fatalf("column %s holds %q", res.Columns[j], x)
				}
				s.labels = append(s.labels, x)
			case float64:
				p = append(p, x)
			default:
				t.Fatalf("column %s holds %v", res.Columns[j], v)
			}
		}
		s.probs = append(s.probs, p)
	}
	return s
}

// testRows writes rows of the CSV at src (without column drop) with some
// cells emptied, for scoring.
func testRows(t *testing.T, src, drop string, n int) string {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	skip := -1
	for j, h := range recs[0] {
		if h == drop {
			skip = j
		}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for i, r := range recs[:min(len(recs), n+1)] {
		var out []string
		for j, v := range r {
			if j == skip {
				continue
			}
			if i > 0 && (i+j)%11 == 0 {
				v = ""
			}
			out = append(out, v)
		}
		w.Write(out)
	}
	w.Flush()
	p := filepath.Join(t.TempDir(), "rows.csv")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPyFuncLoader loads every family's model through the python_function
// flavor exactly as MLflow 2.x does (testdata/pyfunc_harness.py) and
// compares with `automl predict`.
func TestPyFuncLoader(t *testing.T) {
	py := pyfuncPython(t)
	bin := buildAutoML(t)
	runs := t.TempDir()
	type dataSet struct{ name, path, target string }
	german := dataSet{"german", "../samples/german_credit.csv", "class"}
	iris := dataSet{"iris", "../dataset/testdata/iris.csv", "class"}
	cases := []struct {
		data   dataSet
		family string
	}{
		{german, "logistic"}, {german, "knn"}, {german, "naive_bayes"}, {german, "decision_tree"},
		{german, "random_forest"}, {german, "extra_trees"}, {german, "gbdt"}, {iris, "gbdt"},
	}
	// Train and write every model, score them all in one Python process, then compare.
	var jobs []pyfuncJob
	var wants []scores
	for i, c := range cases {
		name := c.data.name + "_" + c.family
		cmd := exec.Command(bin, "train", "--data", c.data.path, "--target", c.data.target, "--model", c.family,
			"--runs", runs, "--name", name, "--quiet", "--notebooks", "none", "--explain-top", "0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: automl train: %v\n%s", name, err, out)
		}
		bundle := filepath.Join(runs, name, "trials", "0")
		info, err := modelInfo(bundle, automl.Trial{}, "", time.Unix(0, 0))
		if err != nil {
			t.Fatal(err)
		}
		info.BundleDir = bundle
		info.PythonFunction = true
		job := pyfuncJob{Model: filepath.Join(t.TempDir(), "model"), Env: map[string]string{"AUTOML_BINARY": bin}}
		if i == 0 { // one model carries its binary: the loader must find bin/automl
			info.Binary, job.Env = bin, map[string]string{"AUTOML_BINARY": "", "PATH": "/usr/bin:/bin"}
			job.Methods = []string{"predict_proba", "predict"}
		}
		if err := WriteModelDir(job.Model, info); err != nil {
			t.Fatal(err)
		}
		if i == 0 { // as downloaded from an artifact store: no executable bit
			if err := os.Chmod(filepath.Join(job.Model, "bin", "automl"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		job.Data = testRows(t, c.data.path, c.data.target, 80)
		wants = append(wants, predictCSV(t, bin, bundle, job.Data))
		jobs = append(jobs, job)
	}
	// A two-member bundle (German Credit logistic 0.7 + GBDT 0.3), calibrated.
	two := filepath.Join(t.TempDir(), "two")
	b, err := bundle.Combine(two, []bundle.Part{{Dir: filepath.Join(runs, "german_logistic", "trials", "0"), Weight: 0.7},
		{Dir: filepath.Join(runs, "german_gbdt", "trials", "0"), Weight: 0.3}})
	if err != nil {
		t.Fatal(err)
	}
	b.Calibration = &bundle.Calibration{Version: bundle.CalibrationVersion, Method: bundle.Platt, Maps: []bundle.Map{{Class: 1, A: -4, B: 1.5}}}
	// A threshold far from 0.5, so that labels by it differ from the most
	// probable class on some rows: the loader must decide as predict does.
	b.Threshold = &bundle.Threshold{Version: bundle.ThresholdVersion, Value: 0.8}
	if err := b.Write(two); err != nil {
		t.Fatal(err)
	}
	info, err := modelInfo(two, automl.Trial{}, "", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	info.BundleDir, info.PythonFunction = two, true
	job := pyfuncJob{Model: filepath.Join(t.TempDir(), "model"), Env: map[string]string{"AUTOML_BINARY": bin}}
	if err := WriteModelDir(job.Model, info); err != nil {
		t.Fatal(err)
	}
	job.Data = testRows(t, german.path, german.target, 80)
	wants = append(wants, predictCSV(t, bin, two, job.Data))
	jobs = append(jobs, job)
	cases = append(cases, struct {
		data   dataSet
		family string
	}{german, "two_member_bundle"})

	answers := harness(t, py, jobs)
	for i, c := range cases {
		t.Run(c.data.name+"_"+c.family, func(t *testing.T) {
			want, got := wants[i], answers[i][0]
			if strings.Join(got.columns, ",") != strings.Join(want.columns, ",") {
				t.Fatalf("columns %v, want %v", got.columns, want.columns)
			}
			if len(got.probs) != len(want.probs) || len(got.probs) != 80 {
				t.Fatalf("%d rows, want %d", len(got.probs), len(want.probs))
			}
			worst := 0.0
			for r := range want.probs {
				if got.labels[r] != want.labels[r] {
					t.Errorf("row %d: prediction %q, want %q", r, got.labels[r], want.labels[r])
				}
				for k := range want.probs[r] {
					worst = max(worst, math.Abs(got.probs[r][k]-want.probs[r][k]))
				}
			}
			if worst > 1e-12 {
				t.Errorf("largest probability difference %.3g, want <= 1e-12", worst)
			}
			if c.family == "two_member_bundle" {
				byThreshold := 0 // rows whose label is not the most probable class
				for r, p := range got.probs {
					if got.labels[r] != strings.TrimPrefix(got.columns[1+slices.Index(p, slices.Max(p))], "probability_") {
						byThreshold++
					}
				}
				if byThreshold == 0 {
					t.Errorf("the 0.8 threshold changed no label: the test does not test it")
				}
			}
			if i == 0 {
				only, labels := answers[i][1], answers[i][2]
				if len(only.labels) != 0 || len(only.columns) != len(want.columns)-1 {
					t.Errorf("method predict_proba gave columns %v", only.columns)
				}
				if strings.Join(labels.columns, ",") != "prediction" || len(labels.labels) != 80 {
					t.Errorf("method predict gave columns %v", labels.columns)
				}
			}
		})
	}
}
