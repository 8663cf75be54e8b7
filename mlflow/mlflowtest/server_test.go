package mlflowtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// post sends body as JSON (contentType "" omits the header) and returns status and decoded body.
func post(t *testing.T, s *Server, path, contentType, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("POST", s.URL+"/api/2.0/mlflow/"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return send(t, req)
}

func get(t *testing.T, s *Server, path string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("GET", s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return send(t, req)
}

func send(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(b) > 0 && json.Unmarshal(b, &out) != nil {
		out = map[string]any{"raw": string(b)}
	}
	return resp.StatusCode, out
}

// newRun creates experiment "e" and a run in it, returning the run id.
func newRun(t *testing.T, s *Server) string {
	t.Helper()
	code, out := post(t, s, "experiments/create", "application/json", `{"name":"e"}`)
	if code != 200 {
		t.Fatalf("experiments/create: %d %v", code, out)
	}
	code, out = post(t, s, "runs/create", "application/json", fmt.Sprintf(`{"experiment_id":%q,"start_time":1000}`, out["experiment_id"]))
	if code != 200 {
		t.Fatalf("runs/create: %d %v", code, out)
	}
	return out["run"].(map[string]any)["info"].(map[string]any)["run_id"].(string)
}

func items(n int, f func(i int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = f(i)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func TestRejects(t *testing.T) {
	s := NewServer(Options{Seed: 1})
	defer s.Close()
	run := newRun(t, s)
	metric := func(i int) string { return fmt.Sprintf(`{"key":"m%d","value":1,"timestamp":5}`, i) }
	param := func(i int) string { return fmt.Sprintf(`{"key":"p%d","value":"v"}`, i) }
	cases := []struct {
		name, path, ctype, body string
		status                  int
		code, msg               string
	}{
		{"no content type", "runs/create", "", `{"experiment_id":"0"}`, 400, "INVALID_PARAMETER_VALUE", "Content-Type must be one of"},
		{"text content type", "runs/create", "text/plain", `{"experiment_id":"0"}`, 400, "INVALID_PARAMETER_VALUE", "Content-Type"},
		{"missing experiment id", "runs/create", "application/json", `{"run_name":"x"}`, 400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'experiment_id'"},
		{"start time not int", "runs/create", "application/json", `{"experiment_id":"0","start_time":"soon"}`, 400, "INVALID_PARAMETER_VALUE", "'start_time'"},
		{"experiment id not string", "runs/create", "application/json", `{"experiment_id":0}`, 400, "INVALID_PARAMETER_VALUE", "'experiment_id'"},
		{"unknown experiment", "runs/create", "application/json", `{"experiment_id":"42"}`, 404, "RESOURCE_DOES_NOT_EXIST", "No Experiment with id=42"},
		{"malformed json", "runs/create", "application/json", `{"experiment_id":`, 400, "MALFORMED_REQUEST", ""},
		{"existing experiment", "experiments/create", "application/json", `{"name":"e"}`, 400, "RESOURCE_ALREADY_EXISTS", "already exists"},
		{"experiment without name", "experiments/create", "application/json", `{}`, 400, "INVALID_PARAMETER_VALUE", "'name'"},
		{"log-batch without run", "runs/log-batch", "application/json", `{"metrics":[]}`, 400, "INVALID_PARAMETER_VALUE", "'run_id'"},
		{"log-batch unknown run", "runs/log-batch", "application/json", `{"run_id":"nope"}`, 404, "RESOURCE_DOES_NOT_EXIST", "Run with id=nope not found"},
		{"1001 metrics", "runs/log-batch", "application/json", `{"run_id":"` + run + `","metrics":` + items(1001, metric) + `}`, 400, "INVALID_PARAMETER_VALUE", "at most 1000 metrics. Got 1001"},
		{"101 params", "runs/log-batch", "application/json", `{"run_id":"` + run + `","params":` + items(101, param) + `}`, 400, "INVALID_PARAMETER_VALUE", "at most 100 params"},
		{"101 tags", "runs/log-batch", "application/json", `{"run_id":"` + run + `","tags":` + items(101, param) + `}`, 400, "INVALID_PARAMETER_VALUE", "at most 100 tags"},
		{"1001 items", "runs/log-batch", "application/json", `{"run_id":"` + run + `","metrics":` + items(950, metric) + `,"params":` + items(51, param) + `}`, 400, "INVALID_PARAMETER_VALUE", "in total"},
		{"metric without timestamp", "runs/log-batch", "application/json", `{"run_id":"` + run + `","metrics":[{"key":"a","value":1}]}`, 400, "INVALID_PARAMETER_VALUE", "'timestamp'"},
		{"metric value string", "runs/log-batch", "application/json", `{"run_id":"` + run + `","metrics":[{"key":"a","value":"high","timestamp":1}]}`, 400, "INVALID_PARAMETER_VALUE", "'value'"},
		{"metrics not array", "runs/log-batch", "application/json", `{"run_id":"` + run + `","metrics":{"key":"a"}}`, 400, "INVALID_PARAMETER_VALUE", "'metrics'"},
		{"bad param name", "runs/log-batch", "application/json", `{"run_id":"` + run + `","params":[{"key":"a:b","value":"1"}]}`, 400, "INVALID_PARAMETER_VALUE", "Invalid param name"},
		{"duplicate param keys", "runs/log-batch", "application/json", `{"run_id":"` + run + `","params":[{"key":"a","value":"1"},{"key":"a","value":"2"}]}`, 400, "INVALID_PARAMETER_VALUE", "Duplicate parameter keys"},
		{"bad status", "runs/update", "application/json", `{"run_id":"` + run + `","status":"DONE"}`, 400, "INVALID_PARAMETER_VALUE", "'status'"},
		{"set-tag without value", "runs/set-tag", "application/json", `{"run_id":"` + run + `","key":"k"}`, 400, "INVALID_PARAMETER_VALUE", "'value'"},
		{"search without experiments", "runs/search", "application/json", `{"filter":""}`, 400, "INVALID_PARAMETER_VALUE", "'experiment_ids'"},
		{"search bad filter", "runs/search", "application/json", `{"experiment_ids":["1"],"filter":"tags.k ~ 'x'"}`, 400, "INVALID_PARAMETER_VALUE", "Invalid filter"},
		{"search too many", "runs/search", "application/json", `{"experiment_ids":["1"],"max_results":50001}`, 400, "INVALID_PARAMETER_VALUE", "at most 50000"},
		{"version of unknown model", "model-versions/create", "application/json", `{"name":"m","source":"x"}`, 404, "RESOURCE_DOES_NOT_EXIST", "name=m"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, out := post(t, s, c.path, c.ctype, c.body)
			if status != c.status || out["error_code"] != c.code {
				t.Fatalf("got %d %v, want %d %s", status, out, c.status, c.code)
			}
			if msg, _ := out["message"].(string); !strings.Contains(msg, c.msg) {
				t.Errorf("message %q does not contain %q", msg, c.msg)
			}
		})
	}
	// Nothing of the rejected batches was stored.
	if got := s.Runs()[0]; len(got.Metrics) != 0 || len(got.Params) != 0 {
		t.Errorf("rejected batches left data: %d metrics, %d params", len(got.Metrics), len(got.Params))
	}
}

func TestParams(t *testing.T) {
	s := NewServer(Options{Seed: 2})
	defer s.Close()
	run := newRun(t, s)
	long := strings.Repeat("é", 7000)
	body := fmt.Sprintf(`{"run_id":%q,"params":[{"key":"a","value":"1"},{"key":"long","value":%q}]}`, run, long)
	if code, out := post(t, s, "runs/log-batch", "application/json", body); code != 200 {
		t.Fatalf("log-batch: %d %v", code, out)
	}
	if got := s.Runs()[0].Params["long"]; got != strings.Repeat("é", 6000) {
		t.Errorf("long param stored with %d characters, want 6000", len([]rune(got)))
	}
	// The same value again is fine (and the long one compares after the cut).
	if code, out := post(t, s, "runs/log-batch", "application/json", body); code != 200 {
		t.Fatalf("re-log same params: %d %v", code, out)
	}
	code, out := post(t, s, "runs/log-batch", "application/json", fmt.Sprintf(`{"run_id":%q,"params":[{"key":"a","value":"2"}]}`, run))
	if code != 400 || out["error_code"] != "INVALID_PARAMETER_VALUE" || !strings.Contains(out["message"].(string), "Changing param values is not allowed") {
		t.Fatalf("changed param: %d %v", code, out)
	}
	if got := s.Runs()[0].Params["a"]; got != "1" {
		t.Errorf("param a = %q after a refused change", got)
	}
}

func TestMetricsHistoryAndDedup(t *testing.T) {
	s := NewServer(Options{Seed: 3})
	defer s.Close()
	run := newRun(t, s)
	body := fmt.Sprintf(`{"run_id":%q,"metrics":[{"key":"auc","value":0.5,"timestamp":1,"step":0},{"key":"auc","value":"NaN","timestamp":2,"step":1},{"key":"auc","value":"0.75","timestamp":"3","step":"2"}]}`, run)
	for range 2 { // the repeat must not duplicate
		if code, out := post(t, s, "runs/log-batch", "application/json", body); code != 200 {
			t.Fatalf("log-batch: %d %v", code, out)
		}
	}
	code, out := get(t, s, "/api/2.0/mlflow/metrics/get-history?run_id="+run+"&metric_key=auc")
	if code != 400 || !strings.Contains(out["message"].(string), "'max_results'") {
		t.Fatalf("get-history without max_results: %d %v", code, out)
	}
	code, out = get(t, s, "/api/2.0/mlflow/metrics/get-history?run_id="+run+"&metric_key=auc&max_results=100")
	if code != 200 {
		t.Fatalf("get-history: %d %v", code, out)
	}
	ms := out["metrics"].([]any)
	if len(ms) != 3 || ms[1].(map[string]any)["value"] != "NaN" || ms[2].(map[string]any)["value"] != 0.75 {
		t.Errorf("history = %v", ms)
	}
	code, out = get(t, s, "/api/2.0/mlflow/runs/get?run_id="+run)
	latest := out["run"].(map[string]any)["data"].(map[string]any)["metrics"].([]any)
	if code != 200 || len(latest) != 1 || latest[0].(map[string]any)["step"] != 2.0 {
		t.Errorf("runs/get latest metrics = %v", latest)
	}
}

func TestArtifactQuirks(t *testing.T) {
	s := NewServer(Options{Seed: 4})
	defer s.Close()
	code, out := get(t, s, "/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/missing.txt")
	if code != 500 {
		t.Errorf("missing artifact: %d %v, want 500 as MLflow 3.x", code, out)
	}
	// A file body without an explicit length goes out chunked and is stored empty.
	p := filepath.Join(t.TempDir(), "f.txt")
	if err := os.WriteFile(p, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	req, _ := http.NewRequest("PUT", s.URL+"/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/f.txt", f)
	if code, out := send(t, req); code != 200 {
		t.Fatalf("chunked PUT: %d %v", code, out)
	}
	if got, ok := s.Artifact("1/r/artifacts/f.txt"); !ok || len(got) != 0 || s.Stats().ChunkedUploads != 1 {
		t.Errorf("chunked upload stored %q (ok %v), chunked count %d", got, ok, s.Stats().ChunkedUploads)
	}
	req, _ = http.NewRequest("PUT", s.URL+"/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/../x", strings.NewReader("x"))
	req.URL.RawPath = "/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/%2E%2E/x"
	if code, _ := send(t, req); code != 400 {
		t.Errorf("path with '..': %d, want 400", code)
	}
}

func TestRegistry(t *testing.T) {
	s := NewServer(Options{Seed: 5})
	defer s.Close()
	if code, out := post(t, s, "registered-models/create", "application/json", `{"name":"m"}`); code != 200 {
		t.Fatalf("create model: %d %v", code, out)
	}
	if code, out := post(t, s, "registered-models/create", "application/json", `{"name":"m"}`); code != 400 || out["error_code"] != "RESOURCE_ALREADY_EXISTS" {
		t.Fatalf("second create: %d %v", code, out)
	}
	code, out := post(t, s, "model-versions/create", "application/json", `{"name":"m","source":"mlflow-artifacts:/1/r/artifacts/model","run_id":"r"}`)
	if code != 200 || out["model_version"].(map[string]any)["version"] != "1" {
		t.Fatalf("create version: %d %v", code, out)
	}
	for _, alias := range []string{"latest", "v2", "V10"} {
		if code, out := post(t, s, "registered-models/alias", "application/json", `{"name":"m","alias":"`+alias+`","version":"1"}`); code != 400 {
			t.Errorf("alias %q: %d %v, want 400", alias, code, out)
		}
	}
	if code, out := post(t, s, "registered-models/alias", "application/json", `{"name":"m","alias":"champion","version":"7"}`); code != 404 {
		t.Errorf("alias to a missing version: %d %v", code, out)
	}
	if code, out := post(t, s, "registered-models/alias", "application/json", `{"name":"m","alias":"champion","version":"1"}`); code != 200 {
		t.Fatalf("alias: %d %v", code, out)
	}
	code, out = get(t, s, "/api/2.0/mlflow/registered-models/alias?name=m&alias=champion")
	if code != 200 || out["model_version"].(map[string]any)["source"] != "mlflow-artifacts:/1/r/artifacts/model" {
		t.Errorf("get alias: %d %v", code, out)
	}
	code, out = get(t, s, "/api/2.0/mlflow/model-versions/search?filter="+strings.ReplaceAll("name='m' and run_id='r'", " ", "%20"))
	if code != 200 || len(out["model_versions"].([]any)) != 1 {
		t.Errorf("search versions: %d %v", code, out)
	}
}

func TestParseFilter(t *testing.T) {
	good := []struct {
		in   string
		want []clause
	}{
		{`tags."goautoml.trial" = 'e/3'`, []clause{{entity: "tags", key: "goautoml.trial", op: "=", value: "e/3"}}},
		{"tags.`a b` != \"x\"", []clause{{entity: "tags", key: "a b", op: "!=", value: "x"}}},
		{`params.c = '1' AND metrics.auc >= 0.5`, []clause{{entity: "params", key: "c", op: "=", value: "1"}, {entity: "metrics", key: "auc", op: ">=", num: 0.5}}},
		{`run_name='r1' and attributes.status = "FINISHED"`, []clause{{entity: "attributes", key: "run_name", op: "=", value: "r1"}, {entity: "attributes", key: "status", op: "=", value: "FINISHED"}}},
	}
	for _, g := range good {
		got, e := parseFilter(g.in)
		if e != nil {
			t.Errorf("%s: %v", g.in, e)
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(g.want) {
			t.Errorf("%s: got %+v, want %+v", g.in, got, g.want)
		}
	}
	for _, bad := range []string{`tags.k = x`, `tags.k < 'a'`, `foo.k = 'a'`, `tags."k = 'a'`, `tags.k = 'a' or tags.j = 'b'`, `metrics.m > high`, `tags.k = 'a`} {
		if _, e := parseFilter(bad); e == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{`tags."a" = 'b'`, `params.x != "y" and metrics.m <= 3`, `run_name = 'r'`, `tags.`, `and`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cs, e := parseFilter(s)
		if e == nil {
			for _, c := range cs {
				if c.op == "" || c.entity == "" {
					t.Fatalf("%q parsed to incomplete clause %+v", s, c)
				}
			}
		}
	})
}

func TestFaultsAreSeeded(t *testing.T) {
	kinds := func(seed uint64) []int {
		s := NewServer(Options{Seed: seed, FailRate: 0.5, Faults: []Fault{FaultStatus, FaultThrottle}})
		defer s.Close()
		var codes []int
		for range 40 {
			code, _ := get(t, s, "/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default")
			codes = append(codes, code)
		}
		st := s.Stats()
		if st.Requests != 40 || st.Injected[FaultStatus]+st.Injected[FaultThrottle] == 0 {
			t.Errorf("stats %+v", st)
		}
		return codes
	}
	a, b, c := kinds(7), kinds(7), kinds(8)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("same seed, different faults:\n%v\n%v", a, b)
	}
	if fmt.Sprint(a) == fmt.Sprint(c) {
		t.Errorf("different seeds, same faults: %v", a)
	}
	ok := 0
	for _, code := range a {
		switch code {
		case 200:
			ok++
		case 429, 500, 502, 503:
		default:
			t.Errorf("unexpected status %d", code)
		}
	}
	if ok < 10 || ok > 30 {
		t.Errorf("%d of 40 succeeded at a 0.5 fail rate", ok)
	}
}

func TestResetFaults(t *testing.T) {
	s := NewServer(Options{Seed: 9})
	defer s.Close()
	s.FailNext("/experiments/create", FaultResetAfter, 1)
	req, _ := http.NewRequest("POST", s.URL+"/api/2.0/mlflow/experiments/create", strings.NewReader(`{"name":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("reset after: got an answer %d", resp.StatusCode)
	}
	// The experiment exists although the client never heard back.
	if code, _ := get(t, s, "/api/2.0/mlflow/experiments/get-by-name?experiment_name=x"); code != 200 {
		t.Errorf("experiment made before the reset is missing: %d", code)
	}
	s.FailNext("/experiments/create", FaultResetBefore, 1)
	req, _ = http.NewRequest("POST", s.URL+"/api/2.0/mlflow/experiments/create", strings.NewReader(`{"name":"y"}`))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("reset before: got an answer %d", resp.StatusCode)
	}
	if code, _ := get(t, s, "/api/2.0/mlflow/experiments/get-by-name?experiment_name=y"); code != 404 {
		t.Errorf("reset before handling still made the experiment: %d", code)
	}
}
