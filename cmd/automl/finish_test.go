package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goautoml/automl/samples"
	"github.com/goautoml/automl/store"
	"github.com/goautoml/automl/web"
)

// TestRunNoTrial: a budget too short for any trial is an exit status of its
// own, with the --json object still printed and a message saying what to do:
// whether it ends before the search (reading and preparing the data count)
// or during it, before the first trial finished.
func TestRunNoTrial(t *testing.T) {
	gc, err := samples.WriteGermanCredit(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	type summary struct {
		ExperimentDir string  `json:"experiment_dir"`
		StopReason    string  `json:"stop_reason"`
		Trials        int     `json:"trials"`
		Best          *string `json:"best"`
	}
	for _, tc := range []struct {
		name   string
		args   []string
		folder bool   // an experiment folder was made
		msg    string // in the message
	}{
		// 1 ms runs out while the data is read or prepared.
		{"before the search", []string{"--timeout", "1ms"}, false, "no trial ran"},
		// The finishing step's share (90 %) and the search's grace (0.5 s)
		// leave the search no time at all: it stops before its first
		// trial. Reading and preparing get half the budget, 2.5 s.
		{"in the search", []string{"--timeout", "5s", "--finish-share", "0.9"}, true, "no trial succeeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run", "--data", gc, "--target", "class", "--runs", t.TempDir(), "--json"}, tc.args...)
			code, out, errOut := cli(t, args...)
			var s summary
			if err := json.Unmarshal([]byte(out), &s); err != nil || (s.ExperimentDir != "") != tc.folder || s.Best != nil || s.Trials != 0 || s.StopReason != "timeout" {
				t.Errorf("--json output %v: %s", err, out)
			}
			if code != exitNoTrial || !strings.Contains(errOut, tc.msg) || !strings.Contains(errOut, "--timeout") {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, exitNoTrial, errOut)
			}
			// Without --json: the same status and message, and no "automl predict" advice.
			args = append([]string{"run", "--data", gc, "--target", "class", "--runs", t.TempDir(), "--quiet"}, tc.args...)
			code, out, errOut = cli(t, args...)
			if code != exitNoTrial || strings.Contains(out, "automl predict") || !strings.Contains(errOut, tc.msg) {
				t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
		})
	}
}

// TestRunBudget: --timeout bounds the whole command, explanations and
// notebooks included (both on, as by default), within the README's grace
// of max(1 s, 2 %).
func TestRunBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("a 6 s run")
	}
	gc, err := samples.WriteGermanCredit(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const budget, grace = 6 * time.Second, time.Second
	start := time.Now()
	code, out, errOut := cli(t, "run", "--data", gc, "--target", "class", "--timeout", "6s", "--runs", t.TempDir(),
		"--explain-top", "5", "--notebooks", "all", "--json")
	took := time.Since(start)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	limit := budget + grace
	if raceEnabled {
		limit += time.Second // the race detector's own slowdown, not a user's
	}
	if took > limit {
		t.Errorf("automl run --timeout 6s took %v", took)
	}
	var s struct {
		Finish struct {
			Explained []int `json:"explained"`
			Notebooks int   `json:"notebooks"`
		} `json:"finish"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	// Under the race detector every notebook renders several times slower
	// and the step is abandoned at its deadline before it reports: only
	// the bound is checked there.
	if !raceEnabled && s.Finish.Notebooks == 0 && len(s.Finish.Explained) == 0 {
		t.Errorf("the finishing step made nothing: %s\n%s", out, errOut)
	}
	t.Logf("took %v; finish %+v", took, s.Finish)
}

// TestSameFilesCLIAndUI runs one seeded experiment through the command line
// and through the web UI's start form: the finishing step is the same, so
// the experiment folders hold the same files with the same content. Tree
// families only: their SHAP values are exact (TreeSHAP), where model-agnostic
// SHAP fits its permutations to the measured prediction speed, which
// depends on the machine's load.
func TestSameFilesCLIAndUI(t *testing.T) {
	if testing.Short() {
		t.Skip("two experiments")
	}
	// The web UI as automl ui starts it, with the same finishing flags.
	var ff finishFlags
	ff.register(newFlags("ui", &bytes.Buffer{}))
	fo, err := ff.options(2, nil)
	if err != nil {
		t.Fatal(err)
	}
	webRuns := t.TempDir()
	s, err := web.New(web.Config{Runs: webRuns, Workers: 2, Finish: &fo})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	defer s.Close()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 5 * time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) string {
		resp, err := hc.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return b.String()
	}
	post := func(path string, form url.Values) string {
		resp, err := hc.PostForm(ts.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s: %s", path, resp.Status)
		}
		return resp.Header.Get("Location")
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(get("/new"))
	if m == nil {
		t.Fatal("no CSRF token on /new")
	}
	up := strings.TrimPrefix(post("/samples/german_credit", url.Values{"csrf": {m[1]}}), "/new/")
	loc := post("/experiments", url.Values{"csrf": {m[1]}, "upload": {up}, "target": {"class"}, "families": {"set"},
		"family": {"decision_tree", "gbdt"}, "budget": {"600"}, "cv": {"0"}, "seed": {"7"}, "max_trials": {"12"},
		"finishing": {"set"}, "explain_top": {"2"}, "notebooks": {"all"},
		// No ensemble: its model-agnostic SHAP (members blended in
		// probability space) is scaled to the clock, so two runs' files differ.
		"ensemble": {"none"}})
	name, _ := url.PathUnescape(strings.TrimPrefix(loc, "/experiments/"))
	// Wait for the end event: it comes after the finishing step.
	resp, err := hc.Get(ts.URL + "/experiments/" + url.PathEscape(name) + "/events?after=0")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	ended := false
	for !ended && sc.Scan() {
		ended = sc.Text() == "event: end"
	}
	resp.Body.Close()
	if !ended {
		t.Fatalf("the web experiment's event stream ended without an end event: %v", sc.Err())
	}
	// The upload moved into the experiment (its data/ copy). The command
	// line then runs the same experiment in the same folder on the same
	// file (notebooks name both), once the web UI's is moved away and the
	// data copy put back where it was.
	webData := filepath.Join(webRuns, name, "data", "german_credit.csv")
	if ups, _ := os.ReadDir(filepath.Join(webRuns, ".uploads")); len(ups) != 0 {
		t.Fatalf("upload %s still in the uploads: %v", up, ups)
	}
	webDir := filepath.Join(t.TempDir(), name)
	if err := os.Rename(filepath.Join(webRuns, name), webDir); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(webDir, "data", "german_credit.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.WriteFile(webData, data); err != nil {
		t.Fatal(err)
	}
	cliDir, errOut := runJSON(t, "run", "--data", webData, "--target", "class", "--max-trials", "12", "--cv", "0", "--seed", "7",
		"--timeout", "10m", "--include", "decision_tree,gbdt", "--workers", "2", "--runs", webRuns, "--name", name,
		"--explain-top", "2", "--notebooks", "all", "--ensemble", "none", "--json")
	t.Logf("command line: %s", errOut)

	cliFiles, webFiles := files(t, cliDir), files(t, webDir)
	if !slices.Equal(cliFiles, webFiles) {
		t.Fatalf("different files:\ncommand line %v\nweb UI       %v", cliFiles, webFiles)
	}
	var compared, explained, notebooks int
	for _, f := range cliFiles {
		if differs[filepath.Base(f)] {
			continue
		}
		a, errA := os.ReadFile(filepath.Join(cliDir, f))
		b, errB := os.ReadFile(filepath.Join(webDir, f))
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		switch {
		case strings.HasSuffix(f, ".jsonl"):
			a, b = dropLines(t, a), dropLines(t, b)
		case strings.HasSuffix(f, ".json"):
			a, b = dropKeys(t, a), dropKeys(t, b)
		}
		if !bytes.Equal(a, b) {
			i := 0
			for i < min(len(a), len(b)) && a[i] == b[i] {
				i++
			}
			t.Errorf("%s differs between the command line and the web UI at byte %d:\n%q\n%q", f, i,
				a[max(0, i-80):min(len(a), i+80)], b[max(0, i-80):min(len(b), i+80)])
		}
		compared++
		if strings.HasSuffix(f, "shap_values.csv") {
			explained++
		}
		if strings.HasSuffix(f, ".ipynb") {
			notebooks++
		}
	}
	if explained != 2 || notebooks < 2 {
		t.Errorf("%d trials explained, %d notebooks; want 2 and more than one", explained, notebooks)
	}
	t.Logf("%d files, %d compared byte for byte (%d notebooks)", len(cliFiles), compared, notebooks)
}

// differs are the plots drawn from the times trials finished; JSON files
// are compared without their times (dropKeys).
var differs = map[string]bool{"score_over_time.png": true, "score_over_time.svg": true}

// files lists the files under dir, relative, sorted.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel != ".lock" {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// dropKeys re-encodes a JSON object without the fields that say when
// things happened or how long they took.
func dropKeys(t *testing.T, b []byte) []byte {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"timing", "worker", "started", "finished", "created", "search_seconds"} {
		delete(v, k)
	}
	if s, ok := v["shap"].(map[string]any); ok {
		delete(s, "seconds")
	}
	out, _ := json.Marshal(v)
	return out
}

func dropLines(t *testing.T, b []byte) []byte {
	var out [][]byte
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		out = append(out, dropKeys(t, l))
	}
	return bytes.Join(out, []byte("\n"))
}
