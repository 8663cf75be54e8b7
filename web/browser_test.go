package web

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/goautoml/automl/finish"
	"github.com/goautoml/automl/samples"
)

// chromium finds the browser for the browser tests. Without one the tests
// skip, unless AUTOML_CI=1, where a missing browser is a failure.
func chromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	candidates := []string{os.Getenv("AUTOML_CHROMIUM"), "/usr/lib/chromium/chromium", "/usr/bin/chromium"}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			candidates = append(candidates, p)
		}
	}
	for _, p := range candidates {
		if fi, err := os.Stat(p); p != "" && err == nil && !fi.IsDir() {
			return p
		}
	}
	if os.Getenv("AUTOML_CI") == "1" {
		t.Fatal("AUTOML_CI=1 but no Chromium found (apt-get install -y chromium, or set AUTOML_CHROMIUM)")
	}
	t.Skip("no Chromium found; install it (apt-get install -y chromium) or set AUTOML_CHROMIUM")
	return ""
}

// browser starts a headless Chromium with a fresh profile and returns a
// context for new tabs.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		t.Fatalf("start %s: %v", path, err)
	}
	return bctx
}

// shoot writes a full-page PNG screenshot to the test's artifact folder
// when the test runs with -artifacts or AUTOML_ARTIFACTS (screenshots are for people to look
// at; a CI run once saw Chromium never answer a screenshot on a loaded
// machine). Each gets 30 s.
func shoot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := artifactDir(t) // -artifacts or AUTOML_ARTIFACTS (screens_test.go)
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Error(err)
	}
	t.Logf("screenshot %s", path)
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func poll(t *testing.T, ctx context.Context, what, js string, timeout time.Duration) {
	t.Helper()
	if err := pollNav(ctx, js, timeout); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("waiting for %s at %s: %v", what, loc, err)
	}
}

// settingsLoaded is true once the page with the experiment settings has
// loaded.
var settingsLoaded = loaded("budget") + ` && !!document.getElementById('start-form')`

// pollNav waits until js is true, across page loads (a poll in a page that
// navigates away fails, so each try is short and failures are retried).
func pollNav(ctx context.Context, js string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := chromedp.Run(tctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(1500*time.Millisecond), chromedp.WithPollingInterval(100*time.Millisecond)))
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("%s (at %s): %v", what, loc, err)
	}
}

// act runs js (statements that set fields or click) in the page as one
// evaluation, then waits, across page loads, until the page satisfies until.
// No DOM node is held between calls, so a page that loads or reloads in
// between (a form submission, the live page's reload at a run's end) cannot
// leave a stale node id behind: node-based clicks and waits did, and a CI
// run failed with "No node with given id found". until must be false on the
// page js starts from, or the wait could end before the page changes.
func act(ctx context.Context, what, js, until string, timeout time.Duration) error {
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("(() => { "+js+"; return true; })()")); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := pollNav(ctx, until, timeout); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		return fmt.Errorf("%s: waiting at %s for %s: %w", what, loc, until, err)
	}
	return nil
}

func mustAct(t *testing.T, ctx context.Context, what, js, until string, timeout time.Duration) {
	t.Helper()
	if err := act(ctx, what, js, until, timeout); err != nil {
		t.Fatal(err)
	}
}

// loaded is a condition true once the page has finished loading and holds
// the element with the given id.
func loaded(id string) string {
	return `document.readyState === 'complete' && !!document.getElementById('` + id + `')`
}

// visit opens url and waits until its page has loaded and holds the
// element with the given id.
func visit(t *testing.T, ctx context.Context, url, id string) {
	t.Helper()
	step(t, ctx, "open "+url, chromedp.Navigate(url))
	poll(t, ctx, "#"+id+" at "+url, loaded(id), 30*time.Second)
}

// chooseTarget picks the target on the setup page and submits its form.
const chooseTarget = `document.getElementById('target').value = 'class'; document.querySelector('#target-form button[type=submit]').click()`

// TestBrowserExperiment drives the whole flow in Chromium: upload German
// Credit, choose the target, start a 20 s search, watch trials arrive over
// the event stream, wait for the end, open the best trial and check its
// plots and downloads.
func TestBrowserExperiment(t *testing.T) {
	t.Parallel()
	bctx := browser(t)
	_, c := newTestServer(t, Config{Finish: &finish.Options{ExplainTop: 1, Notebooks: finish.Top, Share: 0.4}})
	ctx, cancel := chromedp.NewContext(bctx)
	defer cancel()
	ctx, stop := context.WithTimeout(ctx, 5*time.Minute)
	defer stop()

	data, err := samples.WriteGermanCredit(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "open the list", chromedp.Navigate(c.base+"/"), chromedp.WaitVisible(chromedp.CSS(".empty")))
	shoot(t, ctx, "1-list-empty")
	mustAct(t, ctx, "new experiment", `document.querySelector('main a[href="/new"]').click()`, loaded("file"), 10*time.Second)
	shoot(t, ctx, "2-new")
	// the page has loaded, so the file input's node stays valid
	step(t, ctx, "pick the file", chromedp.SetUploadFiles(chromedp.ID("file"), []string{data}))
	mustAct(t, ctx, "upload", `document.querySelector('#upload-form button[type=submit]').click()`, loaded("target"), 30*time.Second)
	if got := eval[string](t, ctx, `document.querySelector('#target optgroup[label=Suggested] option').value`); got != "class" {
		t.Errorf("first suggested target %q, want class", got)
	}
	shoot(t, ctx, "3-setup")
	mustAct(t, ctx, "choose the target", chooseTarget, settingsLoaded, 30*time.Second)
	if p := eval[string](t, ctx, `document.getElementById('problem').textContent`); !strings.Contains(p, "binary") {
		t.Errorf("problem type shown: %q", p)
	}
	unlabelled(t, ctx)
	eval[bool](t, ctx, `document.getElementById('budget').value = '30', true`)
	shoot(t, ctx, "4-setup-checked")
	mustAct(t, ctx, "start", `document.getElementById('start').click()`, loaded("leaderboard"), 30*time.Second)
	if s := eval[string](t, ctx, `document.getElementById('status').textContent`); s != "running" {
		t.Fatalf("status after start %q", s)
	}
	// Trials join the table while the page stays the same (no reload).
	eval[bool](t, ctx, `window.sameDocument = true`)
	n0 := eval[int](t, ctx, `document.querySelectorAll('#rows tr').length`)
	poll(t, ctx, "trials arriving live", fmt.Sprintf(`window.sameDocument && document.getElementById('status').textContent === 'running' && document.querySelectorAll('#rows tr').length >= %d`, n0+3), 30*time.Second)
	if left := eval[string](t, ctx, `(document.getElementById('left')||{}).textContent || ''`); !strings.HasSuffix(left, " s") {
		t.Errorf("time left shows %q", left)
	}
	if pts := eval[string](t, ctx, `document.getElementById('chart-line').getAttribute('points')`); strings.Count(pts, ",") < 2 {
		t.Errorf("best-score chart not drawn live: %q", pts)
	}
	shoot(t, ctx, "5-experiment-running")
	poll(t, ctx, "the end of the search", `document.getElementById('status').textContent === 'done' && !window.sameDocument`, 150*time.Second)
	poll(t, ctx, "the reloaded page", loaded("leaderboard"), 30*time.Second)
	rows := eval[int](t, ctx, `document.querySelectorAll('#rows tr').length`)
	if rows < 3 {
		t.Fatalf("only %d trials after 20 s", rows)
	}
	shoot(t, ctx, "6-experiment-done")
	// Client-side sorting by trial number, from the keyboard.
	step(t, ctx, "sort", chromedp.Focus(chromedp.CSS(`#leaderboard a[data-key=trial]`)), chromedp.KeyEvent("\r"))
	// (a board cut to its top 20 is sorted by the server: the page reloads)
	if err := pollNav(ctx, `document.readyState === 'complete' && document.querySelector('#rows tr')?.dataset.id === '0'`, 30*time.Second); err != nil {
		t.Errorf("after sorting by trial the first row is not trial 0: %v", err)
	}
	if r := eval[string](t, ctx, `document.querySelector('#rows tr').cells[0].textContent`); r == "" {
		t.Errorf("rank column empty after sorting")
	}
	for _, tab := range []string{"guardrails", "profile", "files", "leaderboard"} {
		mustAct(t, ctx, "tab "+tab, `document.querySelector('.tabs a[href$="tab=`+tab+`"]').click()`,
			`document.readyState === 'complete' && !!document.querySelector('.tabs a.current[href$="tab=`+tab+`"]')`, 30*time.Second)
		if tab != "leaderboard" {
			shoot(t, ctx, "7-tab-"+tab)
		}
	}
	poll(t, ctx, "the leaderboard", loaded("leaderboard"), 10*time.Second)
	best := eval[string](t, ctx, `Array.from(document.querySelectorAll('#rows tr')).find(r => r.cells[0].textContent.trim() === '1').querySelector('a').getAttribute('href')`)
	worst := eval[string](t, ctx, `Array.from(document.querySelectorAll('#rows tr')).at(-1).querySelector('a').getAttribute('href')`)
	visit(t, ctx, c.base+best, "metrics")
	shoot(t, ctx, "8-trial")
	unlabelled(t, ctx)
	if rank := eval[string](t, ctx, `document.querySelector('.heading .status').textContent`); !strings.HasPrefix(rank, "rank 1 of") {
		t.Errorf("best trial shows %q", rank)
	}
	if cmd := eval[string](t, ctx, `document.getElementById('predict').value`); !strings.Contains(cmd, "automl predict --model ") || strings.Contains(cmd, "/") {
		t.Errorf("predict command %q", cmd)
	}
	zipType := eval[string](t, ctx, `(async () => { const r = await fetch(document.getElementById('bundle').href); const b = new Uint8Array(await r.arrayBuffer()); return r.status + ' ' + r.headers.get('content-type') + ' ' + String.fromCharCode(b[0], b[1]); })()`)
	if zipType != "200 application/zip PK" {
		t.Errorf("bundle download: %q", zipType)
	}
	// The best trial was explained after the search (ExplainTop: 1): its ROC
	// image loads and its notebook downloads as a valid .ipynb.
	poll(t, ctx, "the ROC image", `(() => { const i = document.querySelector('#plot-roc img'); if (!i) return false; i.loading = 'eager'; return i.complete && i.naturalWidth > 0; })()`, 10*time.Second)
	ok := eval[string](t, ctx, `(async () => { const a = document.getElementById('notebook'); if (!a) return 'no notebook link'; const r = await fetch(a.href); const j = await r.json(); return r.status + ' ' + j.nbformat + ' ' + Array.isArray(j.cells) + ' ' + (j.cells.length > 0) + ' ' + r.headers.get('content-disposition').includes('.ipynb'); })()`)
	if ok != "200 4 true true true" {
		t.Errorf("notebook download is not a valid .ipynb: %s", ok)
	}
	// A trial that was not explained offers to make its plots and notebook
	// instead of showing broken images.
	visit(t, ctx, c.base+worst, "metrics")
	if got := eval[string](t, ctx, `(document.getElementById('explain-button') || {}).textContent + ' ' + !!document.querySelector('#plot-roc img')`); got != "Make the explanations and notebook false" {
		t.Errorf("unexplained trial shows %q", got)
	}
	shoot(t, ctx, "9-trial-unexplained")
}

// TestBrowserTwoExperiments runs two experiments at once from two browser
// contexts (separate cookies, so separate sessions and CSRF tokens): one
// uploads by drag and drop, the other picks the bundled sample.
func TestBrowserTwoExperiments(t *testing.T) {
	t.Parallel()
	bctx := browser(t)
	_, c := newTestServer(t, Config{Workers: 1})
	var wg sync.WaitGroup
	names := make([]string, 2)
	errs := make([]error, 2)
	shots := make([][]byte, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
			defer cancel()
			ctx, stop := context.WithTimeout(ctx, 4*time.Minute)
			defer stop()
			names[i], shots[i], errs[i] = runFast(ctx, c.base, i == 0)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("browser %d: %v", i, err)
		}
		os.WriteFile(filepath.Join(t.ArtifactDir(), fmt.Sprintf("experiment-%d.png", i)), shots[i], 0o644)
	}
	if names[0] == names[1] {
		t.Fatalf("both browsers ended on experiment %s", names[0])
	}
	ctx, cancel := chromedp.NewContext(bctx)
	defer cancel()
	visit(t, ctx, c.base+"/", "experiments")
	shoot(t, ctx, "list-two")
	for _, n := range names {
		if !eval[bool](t, ctx, `!!document.querySelector('#experiments a[href="/experiments/`+n+`"]')`) {
			t.Errorf("list lacks %s", n)
		}
	}
}

// runFast sets up a short experiment with the cheapest families in one tab
// and waits for its end. It returns the experiment's name and a screenshot.
func runFast(ctx context.Context, base string, drop bool) (string, []byte, error) {
	if _, err := chromedp.Run(ctx, chromedp.Navigate(base+"/new")); err != nil {
		return "", nil, fmt.Errorf("open /new: %w", err)
	}
	if err := pollNav(ctx, loaded("drop"), 30*time.Second); err != nil {
		return "", nil, fmt.Errorf("waiting for /new: %w", err)
	}
	upload := `document.querySelector('form[action="/samples/german_credit"] button').click()`
	if drop {
		// A drop event carrying a file, as a desktop drag would send.
		upload = `const dt = new DataTransfer(); dt.items.add(new File([` + "`" + string(samples.GermanCredit) + "`" + `], 'dropped credit.csv', {type: 'text/csv'}));
			document.getElementById('drop').dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}))`
	}
	if err := act(ctx, "upload", upload, loaded("target"), 30*time.Second); err != nil {
		return "", nil, err
	}
	if err := act(ctx, "choose the target", chooseTarget, settingsLoaded, 30*time.Second); err != nil {
		return "", nil, err
	}
	// 10 s and no folds: under -race on two loaded cores a search finished
	// no trial within 3 s of 5-fold cross-validation.
	start := `document.getElementById('budget').value = '10'; document.getElementById('cv').value = '0';
		document.querySelectorAll('input[name=family]').forEach(b => b.checked = ['logistic','naive_bayes'].includes(b.value));
		document.getElementById('start').click()`
	if err := act(ctx, "start", start, loaded("leaderboard"), 30*time.Second); err != nil {
		return "", nil, err
	}
	if err := pollNav(ctx, `document.readyState === 'complete' && document.getElementById('status').textContent === 'done' && document.querySelectorAll('#rows tr').length > 0 && !document.getElementById('stop')`, 150*time.Second); err != nil {
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname + ': status ' + document.getElementById('status')?.textContent + ', ' + document.querySelectorAll('#rows tr').length + ' rows, stop button ' + !!document.getElementById('stop')`))
		return "", nil, fmt.Errorf("waiting for the end (%s): %w", state, err)
	}
	name, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('h1').textContent`))
	if err != nil {
		return "", nil, err
	}
	fams, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...new Set(Array.from(document.querySelectorAll('#rows .family')).map(e => e.textContent))].sort().join(',')`))
	if err != nil {
		return "", nil, err
	}
	// The ensemble step may add a blend of the two families' trials.
	fams = strings.TrimPrefix(strings.ReplaceAll(","+fams, ",Ensemble", ""), ",")
	if fams != "Logistic regression,Naive Bayes" && fams != "Logistic regression" && fams != "Naive Bayes" {
		return "", nil, errors.New("unexpected families in the leaderboard: " + fams)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	return name, png, err
}

// unlabelled fails the test for form controls without an accessible name.
func unlabelled(t *testing.T, ctx context.Context) {
	t.Helper()
	bad := eval[string](t, ctx, `Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea, button'))
		.filter(e => !(e.labels && e.labels.length) && !e.textContent.trim() && !e.getAttribute('aria-label'))
		.map(e => e.outerHTML.slice(0, 80)).join('\n')`)
	if bad != "" {
		t.Errorf("form controls without a label:\n%s", bad)
	}
}
