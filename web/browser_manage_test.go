package web

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goautoml/automl/finish"
	"github.com/goautoml/automl/mlflow/mlflowtest"
)

// TestBrowserManageExperiments: an interrupted experiment is resumed from
// the list, renamed (its data copy moves along, so it can be resumed and
// explained again) and deleted after typing its name (issue 15: resume,
// rename, delete).
func TestBrowserManageExperiments(t *testing.T) {
	t.Parallel()
	ctx := newTab(t, 4*time.Minute)
	s, c := newTestServer(t, Config{Workers: 1})
	name := c.startExperiment(url.Values{"budget": {"120"}, "max_trials": {"4"}, "family": {"logistic", "naive_bayes"}, "cv": {"0"}, "ensemble": {"none"}})
	code, body, _ := c.post("/experiments/"+name+"/stop", url.Values{"csrf": {c.csrf()}})
	wantStatus(t, "stop", code, http.StatusSeeOther, body)
	waitRun(t, s, name)

	visit(t, ctx, c.base+"/", "experiments")
	if got := eval[string](t, ctx, `document.querySelector('#experiments a.manage').textContent`); got != "resume…" {
		t.Errorf("the list offers %q for an interrupted experiment", got)
	}
	mustAct(t, ctx, "open resume", `document.querySelector('#experiments a.manage').click()`, loaded("resume-button"), 30*time.Second)
	unlabelled(t, ctx)
	widths(t, ctx, "manage-1")
	mustAct(t, ctx, "resume", `document.getElementById('resume-button').click()`, loaded("leaderboard"), 30*time.Second)
	poll(t, ctx, "the resumed search's end", `document.readyState === 'complete' && document.getElementById('status').textContent === 'done' && !document.getElementById('stop')`, 120*time.Second)
	x, err := s.load(name)
	if err != nil {
		t.Fatal(err)
	}
	if x.Exp.Status != "done" || x.Exp.Trials != 4 {
		t.Errorf("after resume: status %q, %d trials, want done with the 4 of the trial limit", x.Exp.Status, x.Exp.Trials)
	}

	// Rename: a bad name is refused on the page, a good one moves it.
	visit(t, ctx, c.base+"/experiments/"+name+"/manage", "rename-form")
	mustAct(t, ctx, "rename to a bad name", `document.getElementById('new-name').value = '../etc'; document.getElementById('rename-form').noValidate = true; document.getElementById('rename-button').click()`, loaded("manage-error"), 30*time.Second)
	if msg := eval[string](t, ctx, `document.getElementById('manage-error').textContent`); !strings.Contains(msg, `"../etc" cannot be used`) {
		t.Errorf("bad name says %q", msg)
	}
	mustAct(t, ctx, "rename", `document.getElementById('new-name').value = 'credit-v2'; document.getElementById('rename-button').click()`,
		`location.pathname === '/experiments/credit-v2' && `+loaded("leaderboard"), 30*time.Second)
	if _, err := os.Stat(filepath.Join(s.cfg.Runs, name)); !os.IsNotExist(err) {
		t.Errorf("the old folder is still there (%v)", err)
	}
	x, err = s.load("credit-v2")
	if err != nil {
		t.Fatal(err)
	}
	if x.Exp.Name != "credit-v2" || !strings.HasPrefix(x.Exp.Config.Data, filepath.Join(s.cfg.Runs, "credit-v2")) && !strings.Contains(x.Exp.Config.Data, "/credit-v2/data/") {
		t.Errorf("renamed record: name %q, data %q", x.Exp.Name, x.Exp.Config.Data)
	}
	if _, err := os.Stat(x.Exp.Config.Data); err != nil {
		t.Errorf("the renamed experiment's data: %v", err)
	}
	// The data is read again after the rename: a removed bundle is
	// re-created from it (what resume and explain do too).
	best := *x.Exp.Best
	os.RemoveAll(filepath.Join(x.Store.Layout.Trial(best), "model"))
	os.Remove(x.Store.Layout.Bundle(best))
	code, body, _ = c.get("/experiments/credit-v2/trials/" + istr(best) + "/bundle.zip")
	wantStatus(t, "bundle re-created after the rename", code, 200, body)
	code, body, _ = c.get("/experiments/" + name)
	wantStatus(t, "old name", code, 404, body)

	// Delete: only after typing the name.
	visit(t, ctx, c.base+"/experiments/credit-v2/manage", "delete-form")
	mustAct(t, ctx, "delete without confirming", `document.getElementById('confirm').value = 'credit'; document.getElementById('delete-button').click()`, loaded("manage-error"), 30*time.Second)
	if _, err := os.Stat(filepath.Join(s.cfg.Runs, "credit-v2")); err != nil {
		t.Fatalf("deleted without confirmation: %v", err)
	}
	mustAct(t, ctx, "delete", `document.getElementById('confirm').value = 'credit-v2'; document.getElementById('delete-button').click()`, loaded("deleted"), 30*time.Second)
	if _, err := os.Stat(filepath.Join(s.cfg.Runs, "credit-v2")); !os.IsNotExist(err) {
		t.Errorf("the folder is still there after delete (%v)", err)
	}
	if eval[bool](t, ctx, `!!document.getElementById('experiments')`) {
		t.Error("the list still shows an experiment")
	}
	widths(t, ctx, "manage-2-deleted")
	// Path safety: names that leave the runs folder are not experiments.
	for _, bad := range []string{"..", ".uploads", "%2e%2e%2fetc"} {
		code, body, _ = c.post("/experiments/"+bad+"/delete", url.Values{"csrf": {c.csrf()}, "confirm": {bad}})
		if code == http.StatusSeeOther {
			t.Errorf("delete of %q accepted: %s", bad, body)
		}
	}
	if _, err := os.Stat(filepath.Join(s.cfg.Runs, uploadsDir)); err != nil {
		t.Errorf("the uploads folder went: %v", err)
	}
}

func istr(n int) string { return strconv.Itoa(n) }

// TestBrowserRegisterInMLflow registers a chosen trial's model from its use
// page in a tracking server (package mlflow's fake server): the trial's run
// and model are exported, and the version's source is that model (issue 15:
// register in MLflow).
func TestBrowserRegisterInMLflow(t *testing.T) {
	t.Parallel()
	ctx := newTab(t, 4*time.Minute)
	fake := mlflowtest.NewServer(mlflowtest.Options{Seed: 1})
	defer fake.Close()
	s, c := newTestServer(t, Config{Workers: 1, Finish: &finish.Options{Notebooks: finish.None, MLflow: finish.MLflow{URI: fake.URL}}})
	run := url.Values{"finishing": {"set"}} // the search itself logs nothing
	for k, v := range fastRun {
		run[k] = v
	}
	name := c.startExperiment(run)
	waitRun(t, s, name)
	x, err := s.load(name)
	if err != nil {
		t.Fatal(err)
	}
	if len(fake.Runs()) != 0 {
		t.Fatalf("the search logged %d runs though MLflow was off", len(fake.Runs()))
	}
	trials, _ := x.Store.Trials()
	last := trials[len(trials)-1] // any trial, not only the best
	for i := len(trials) - 1; i >= 0 && last.Status != "ok"; i-- {
		last = trials[i]
	}
	visit(t, ctx, c.base+"/experiments/"+name+"/trials/"+istr(last.ID)+"/use", "register-form")
	unlabelled(t, ctx)
	mustAct(t, ctx, "register with a bad name", `document.getElementById('register-name').value = 'a/b'; document.getElementById('register').click()`, loaded("register-error"), 30*time.Second)
	mustAct(t, ctx, "register", `document.getElementById('register-name').value = 'credit-risk'; document.getElementById('register').click()`, loaded("registered"), 2*time.Minute)
	if msg := eval[string](t, ctx, `document.getElementById('registered').textContent`); !strings.Contains(msg, "credit-risk version 1") {
		t.Errorf("registration says %q", msg)
	}
	widths(t, ctx, "mlflow-registered")
	vs := fake.ModelVersions("credit-risk")
	if len(vs) != 1 || !strings.HasSuffix(vs[0].Source, "/model") {
		t.Fatalf("versions %+v", vs)
	}
	found := false
	for _, r := range fake.Runs() {
		if r.ID == vs[0].RunID && r.Tags["goautoml.trial"] == name+"/"+istr(last.ID) {
			found = true
		}
	}
	if !found {
		t.Errorf("the version's run is not trial %d's run: %+v", last.ID, fake.Runs())
	}
	has := false
	for _, p := range fake.ArtifactPaths() {
		if strings.HasSuffix(p, "model/MLmodel") {
			has = true
		}
	}
	if !has {
		t.Error("no MLmodel was exported")
	}
}
