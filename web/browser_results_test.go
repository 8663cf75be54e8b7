package web

import (
	"context"
	"math"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/samples"
)

// resultsServer starts a server holding a finished experiment of n trials
// (bigExperiment: real specs, seeded random scores) and a tab at 1400 px.
func resultsServer(t *testing.T, n int) (*Server, *client, context.Context, string) {
	t.Helper()
	bctx := browser(t)
	s, c := newTestServer(t, Config{})
	name := bigExperiment(t, s.cfg.Runs, n)
	ctx, cancel := chromedp.NewContext(bctx)
	t.Cleanup(cancel)
	ctx, stop := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(stop)
	step(t, ctx, "viewport", chromedp.EmulateViewport(1400, 900)) // about:blank has no page to poll yet
	return s, c, ctx, name
}

// chartPoints reads the drawn best-score line as (x, y) pairs.
const chartPointsJS = `document.getElementById('chart-line').getAttribute('points').trim().split(/\s+/).filter(Boolean).map(p => p.split(',').map(Number))`

// TestBrowserLiveChartFinishOrder feeds a live run trials whose finish
// times are out of ID order (as several trials at once finish), and checks
// the chart drawn live: its line never goes back in time, the best score
// never gets worse, and it is the line the server draws when the page
// reloads (issue 15: the live line took trials in ID order).
func TestBrowserLiveChartFinishOrder(t *testing.T) {
	t.Parallel()
	s, c, ctx, name := resultsServer(t, 0)
	x, err := s.load(name)
	if err != nil {
		t.Fatal(err)
	}
	// Trials with real specs, from another experiment's log.
	src := t.TempDir()
	st, err := automl.OpenStore(filepath.Join(src, bigExperiment(t, src, 12)))
	if err != nil {
		t.Fatal(err)
	}
	trials, err := st.Trials()
	if err != nil {
		t.Fatal(err)
	}
	metric := x.Exp.Config.Metric
	offsets := []float64{9, 2, 14, 5, 20, 1, 11, 30, 3, 25, 7, 16}
	scores := []float64{0.70, 0.74, 0.72, 0.76, 0.71, 0.69, 0.78, 0.73, 0.75, 0.80, 0.77, 0.79}
	snap := *x.Exp
	snap.Status = "running"
	l := newLiveRun(snap, func() {})
	s.live.add(l)
	t.Cleanup(func() {
		select {
		case <-l.done:
		default:
			l.end("done", automl.StopTimeout)
		}
	})
	visit(t, ctx, c.base+"/experiments/"+name, "leaderboard")
	if eval[string](t, ctx, `document.getElementById('live').dataset.running`) != "true" {
		t.Fatal("the page does not follow the live run")
	}
	for i := range trials[:12] {
		tr := trials[i]
		tr.Status, tr.Error = "ok", ""
		tr.Val = map[string]float64{metric: scores[i]}
		tr.Timing.OffsetSeconds = offsets[i]
		l.add(tr, automl.Progress{Done: i + 1})
		time.Sleep(20 * time.Millisecond)
	}
	poll(t, ctx, "12 live rows", `document.querySelectorAll('#rows tr').length === 12`, 30*time.Second)
	// (the chart is redrawn in the same event handler that adds the row)
	live := eval[[][]float64](t, ctx, chartPointsJS)
	for i := 1; i < len(live); i++ {
		if live[i][0] < live[i-1][0] {
			t.Errorf("the live line goes back in time at point %d: %v then %v", i, live[i-1], live[i])
		}
		if live[i][1] > live[i-1][1]+1e-9 { // SVG y grows downwards: a worse best is a larger y
			t.Errorf("the live best score gets worse at point %d: %v then %v", i, live[i-1], live[i])
		}
	}
	best := eval[[][]float64](t, ctx, `JSON.parse(document.getElementById('chart').dataset.best)`)
	if got, want := best[len(best)-1][1], slices.Max(scores); got != want {
		t.Errorf("the live best score ends at %v, want %v", got, want)
	}
	// The first point is the first trial to finish (offset 1, score 0.69).
	if best[0][0] != 1 || best[0][1] != 0.69 {
		t.Errorf("the live line starts at %v, want the first trial to finish [1 0.69]", best[0])
	}
	// The server draws the same line from the same trials.
	reloaded := eval[[][]float64](t, ctx, `(async () => { const html = await (await fetch(location.href, {headers: {Accept: 'text/html'}})).text();
		const doc = new DOMParser().parseFromString(html, 'text/html');
		return doc.getElementById('chart-line').getAttribute('points').trim().split(/\s+/).map(p => p.split(',').map(Number)); })()`)
	if len(reloaded) != len(live) {
		t.Fatalf("live line has %d points, the reloaded page's %d", len(live), len(reloaded))
	}
	for i := range live {
		if math.Abs(live[i][0]-reloaded[i][0]) > 0.11 || math.Abs(live[i][1]-reloaded[i][1]) > 0.11 {
			t.Errorf("point %d: live %v, reloaded %v", i, live[i], reloaded[i])
		}
	}
	for _, id := range []string{"chart-ymin", "chart-ymax"} {
		lv := eval[string](t, ctx, `document.getElementById('`+id+`').textContent`)
		rv := eval[string](t, ctx, `(async () => { const html = await (await fetch(location.href)).text(); return new DOMParser().parseFromString(html, 'text/html').getElementById('`+id+`').textContent; })()`)
		if lv != rv {
			t.Errorf("%s: live %q, reloaded %q", id, lv, rv)
		}
	}
	screenshot(t, ctx, "live-chart")
}

// TestBrowserLeaderboardTop reads a 60-trial leaderboard as a user would:
// the top 20 with a "show all" link, validation scores only, a filter by
// family built from the registry, and readable model summaries.
func TestBrowserLeaderboardTop(t *testing.T) {
	t.Parallel()
	_, c, ctx, name := resultsServer(t, 60)
	page := c.base + "/experiments/" + name
	visit(t, ctx, page, "leaderboard")
	if n := eval[int](t, ctx, `document.querySelectorAll('#rows tr').length`); n != 20 {
		t.Errorf("%d rows shown, want the top 20", n)
	}
	if txt := eval[string](t, ctx, `(document.getElementById('show-all') || {}).textContent || ''`); !strings.Contains(txt, "of 60 trials") {
		t.Errorf("show-all line %q", txt)
	}
	if ranks := eval[string](t, ctx, `Array.from(document.querySelectorAll('#rows td.rank')).slice(0, 3).map(e => e.textContent).join(',')`); ranks != "1,2,3" {
		t.Errorf("first ranks %s", ranks)
	}
	if heads := eval[string](t, ctx, `Array.from(document.querySelectorAll('#leaderboard thead th')).map(e => e.textContent.trim()).join('|')`); strings.Contains(strings.ToLower(heads), "test") {
		t.Errorf("the leaderboard shows test scores: %s", heads)
	}
	if !eval[bool](t, ctx, `document.getElementById('val-note').textContent.includes('test score')`) {
		t.Error("no note on why the leaderboard shows no test scores")
	}
	// Summaries a person can read: no key=value codes, no "| encoding".
	descs := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#rows small.desc')).map(e => e.textContent)`)
	for _, d := range descs {
		if strings.ContainsAny(d, "=|") || strings.Contains(d, "depth 0") || strings.Contains(d, "leaves 0") {
			t.Errorf("model summary not readable: %q", d)
		}
	}
	// The family filter offers the registry's families that ran, by label.
	opts := eval[[][]string](t, ctx, `Array.from(document.querySelectorAll('#family option')).filter(o => o.value).map(o => [o.value, o.textContent])`)
	if len(opts) < 2 {
		t.Fatalf("family filter offers %v", opts)
	}
	for _, o := range opts {
		d, ok := models.Lookup(models.Family(o[0]))
		if !ok || !strings.HasPrefix(o[1], d.Label+" (") {
			t.Errorf("family option %v is not a registered family's label", o)
		}
	}
	fam := opts[0][0]
	mustAct(t, ctx, "filter by family", `const s = document.getElementById('family'); s.value = '`+fam+`'; s.dispatchEvent(new Event('change'))`,
		`document.readyState === 'complete' && location.search.includes('family=`+fam+`') && !!document.getElementById('rows')`, 30*time.Second)
	if other := eval[int](t, ctx, `Array.from(document.querySelectorAll('#rows tr')).filter(r => r.dataset.family !== '`+fam+`').length`); other != 0 {
		t.Errorf("%d rows of other families after filtering by %s", other, fam)
	}
	// Every trial, then back.
	visit(t, ctx, page, "leaderboard")
	mustAct(t, ctx, "show all", `document.getElementById('all-link').click()`, `document.readyState === 'complete' && location.search.includes('all=1') && !!document.getElementById('rows')`, 30*time.Second)
	if n := eval[int](t, ctx, `document.querySelectorAll('#rows tr').length`); n != 60 {
		t.Errorf("show all shows %d rows, want 60", n)
	}
	// Sorting a cut board asks the server, which sorts every trial.
	visit(t, ctx, page, "leaderboard")
	mustAct(t, ctx, "sort by trial", `document.querySelector('#leaderboard a[data-key=trial]').click()`, `document.readyState === 'complete' && location.search.includes('sort=trial') && !!document.getElementById('rows')`, 30*time.Second)
	if ids := eval[string](t, ctx, `Array.from(document.querySelectorAll('#rows tr')).slice(0, 3).map(r => r.dataset.id).join(',')`); ids != "0,1,2" {
		t.Errorf("sorted by trial, the first rows are %s", ids)
	}
	// The trial page shows the test score, with the reason it is not for choosing.
	visit(t, ctx, page+"/trials/0", "metrics")
	if !eval[bool](t, ctx, `document.querySelector('#metrics thead').textContent.includes('Test') && document.getElementById('test-note').textContent.includes('validation')`) {
		t.Error("trial page lacks the test column or its note")
	}
	if p := eval[string](t, ctx, `document.getElementById('params').textContent`); strings.Contains(p, "max depth0") {
		t.Errorf("parameters: %s", p)
	}
	screenshot(t, ctx, "leaderboard")
}

// TestBrowserPhoneWidth opens the results pages at 400 px: none scrolls
// sideways, the leaderboard's primary score is on screen, and the chart's
// labels are readable.
func TestBrowserPhoneWidth(t *testing.T) {
	t.Parallel()
	_, c, ctx, name := resultsServer(t, 40)
	page := c.base + "/experiments/" + name
	for _, p := range []struct{ path, id string }{
		{"/", "experiments"}, {"/experiments/" + name, "leaderboard"}, {"/experiments/" + name + "?all=1", "leaderboard"},
		{"/experiments/" + name + "?tab=guardrails", "g-h"}, {"/experiments/" + name + "?tab=profile", "profile"},
		{"/experiments/" + name + "?tab=files", "f-h"}, {"/experiments/" + name + "/trials/3", "metrics"},
	} {
		visit(t, ctx, c.base+p.path, p.id)
		fits(t, ctx, p.path)
	}
	visit(t, ctx, page, "leaderboard")
	setWidth(t, ctx, 400)
	if r := eval[float64](t, ctx, `document.querySelector('#rows tr td.primary-col').getBoundingClientRect().right`); r > 400 {
		t.Errorf("the first row's score ends at %.0f px, off a 400-px screen", r)
	}
	if h := eval[float64](t, ctx, `document.getElementById('chart-ymax').getBoundingClientRect().height`); h < 10 {
		t.Errorf("chart label %.1f px high", h)
	}
	setWidth(t, ctx, 1400)
}

// TestBrowserEveryPage visits every page of the UI (list, new, set-up,
// the experiment's tabs, a trial, a comparison, login, an error), checks
// none scrolls sideways at 400 px, and shoots each at 1400 and 400 px when
// screenshots are asked for (-artifacts or AUTOML_ARTIFACTS).
func TestBrowserEveryPage(t *testing.T) {
	t.Parallel()
	s, c, ctx, name := resultsServer(t, 40)
	exp := "/experiments/" + name
	pages := []struct{ name, path, id string }{
		{"list", "/", "experiments"},
		{"new", "/new", "drop"},
		{"experiment-leaderboard", exp, "leaderboard"},
		{"experiment-leaderboard-all", exp + "?all=1", "leaderboard"},
		{"experiment-guardrails", exp + "?tab=guardrails", "g-h"},
		{"experiment-profile", exp + "?tab=profile", "profile"},
		{"experiment-files", exp + "?tab=files", "f-h"},
		{"trial", exp + "/trials/1", "metrics"},
		{"compare-trials", exp + "/compare?t=0&t=1&t=2", "compare"},
		{"compare-experiments", "/compare?e=" + name, "compare"},
		{"error-404", "/experiments/no-such-experiment", "main"},
	}
	for _, p := range pages {
		visit(t, ctx, c.base+p.path, p.id)
		fits(t, ctx, p.name)
		screenshot(t, ctx, p.name)
	}
	// The set-up page, from the sample.
	visit(t, ctx, c.base+"/new", "drop")
	mustAct(t, ctx, "use the sample", `document.querySelector('form[action="/samples/german_credit"] button').click()`, loaded("target"), 30*time.Second)
	fits(t, ctx, "setup")
	screenshot(t, ctx, "setup")
	mustAct(t, ctx, "choose the target", chooseTarget, settingsLoaded, 30*time.Second)
	fits(t, ctx, "setup-checked")
	screenshot(t, ctx, "setup-checked")
	// The login page of a server with a token.
	_, tc := newTestServer(t, Config{Token: "secret-token", Runs: s.cfg.Runs})
	visit(t, ctx, tc.base+"/login", "token")
	fits(t, ctx, "login")
	screenshot(t, ctx, "login")
}

// realExperiment runs a small search (logistic regression and naive Bayes,
// six trials, no folds, nothing made after it) into runs, so its trials
// have held-out predictions and no explanations.
func realExperiment(t *testing.T, runs, name string, seed uint64) string {
	t.Helper()
	data, err := samples.WriteGermanCredit(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := automl.Config{Data: data, Target: "class", RunsDir: runs, Name: name, MaxTrials: 6, Seed: seed, Workers: 2,
		Timeout: 3 * time.Minute, Include: []models.Family{"logistic", "naive_bayes"}}
	if _, err := automl.Run(context.Background(), cfg, automl.Options{}); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestBrowserExplainAnyTrial makes the plots and notebook of a trial that
// the search did not explain, from its page's button (issue 15: pages
// said "Not made yet" and nothing made them).
func TestBrowserExplainAnyTrial(t *testing.T) {
	t.Parallel()
	bctx := browser(t)
	s, c := newTestServer(t, Config{})
	name := realExperiment(t, s.cfg.Runs, "real", 3)
	ctx, cancel := chromedp.NewContext(bctx)
	defer cancel()
	ctx, stop := context.WithTimeout(ctx, 5*time.Minute)
	defer stop()
	page := c.base + "/experiments/" + name + "/trials/1"
	visit(t, ctx, page, "metrics")
	if eval[bool](t, ctx, `!!document.querySelector('#plot-roc img') || !!document.getElementById('notebook')`) {
		t.Fatal("trial 1 already has plots or a notebook")
	}
	if eval[int](t, ctx, `document.querySelectorAll('.missing').length`) != 0 {
		t.Error(`the page still shows "Not made yet" placeholders`)
	}
	// Without the form's token the POST is refused.
	if code, _, _ := c.post("/experiments/"+name+"/trials/1/explain", nil); code != 403 {
		t.Errorf("explain without a CSRF token: status %d, want 403", code)
	}
	// A path that leaves the runs folder names no experiment.
	tok := c.csrf()
	for _, bad := range []string{"/experiments/..%2F..%2Fetc/trials/1/explain", "/experiments/" + name + "/trials/..%2F1/explain", "/experiments/" + name + "/trials/99/explain"} {
		if code, _, _ := c.post(bad, url.Values{"csrf": {tok}}); code != 404 {
			t.Errorf("POST %s: status %d, want 404", bad, code)
		}
	}
	mustAct(t, ctx, "make the explanations", `document.getElementById('explain-button').click()`,
		`document.readyState === 'complete' && !document.getElementById('explain-button')`, 30*time.Second)
	screenshot(t, ctx, "explain-running")
	poll(t, ctx, "the plots and notebook", `document.readyState === 'complete' && !!document.querySelector('#plot-roc img') && !!document.getElementById('notebook')`, 4*time.Minute)
	if e := eval[string](t, ctx, `(document.getElementById('explain-error') || {}).textContent || ''`); e != "" {
		t.Fatalf("explain job failed: %s", e)
	}
	poll(t, ctx, "the ROC image", `(() => { const i = document.querySelector('#plot-roc img'); i.loading = 'eager'; return i.complete && i.naturalWidth > 0; })()`, 20*time.Second)
	// Plots show at their own size, not as thumbnails whose text is too
	// small to read (issue 15: 6-px text).
	poll(t, ctx, "every plot loaded", `Array.from(document.querySelectorAll('.plot img')).every(i => { i.loading = 'eager'; return i.complete && i.naturalWidth > 0; })`, 20*time.Second)
	if small := eval[string](t, ctx, `Array.from(document.querySelectorAll('.plot img')).filter(i => i.getBoundingClientRect().width < 0.95 * i.naturalWidth).map(i => i.alt + ': ' + Math.round(i.getBoundingClientRect().width) + ' of ' + i.naturalWidth + ' px').join('; ')`); small != "" {
		t.Errorf("plots shrunk below their size at 1400 px: %s", small)
	}
	nb := eval[string](t, ctx, `(async () => { const r = await fetch(document.getElementById('notebook').href); const j = await r.json(); return r.status + ' ' + j.nbformat + ' ' + (j.cells.length > 0); })()`)
	if nb != "200 4 true" {
		t.Errorf("notebook download: %s", nb)
	}
	fits(t, ctx, "trial explained")
	screenshot(t, ctx, "explain-done")
}

// TestBrowserCompare ticks two trials in the leaderboard and compares
// them, then compares two experiments on the same data.
func TestBrowserCompare(t *testing.T) {
	t.Parallel()
	bctx := browser(t)
	s, c := newTestServer(t, Config{})
	name := realExperiment(t, s.cfg.Runs, "real", 3)
	other := realExperiment(t, s.cfg.Runs, "again", 4)
	ctx, cancel := chromedp.NewContext(bctx)
	defer cancel()
	ctx, stop := context.WithTimeout(ctx, 4*time.Minute)
	defer stop()
	visit(t, ctx, c.base+"/experiments/"+name, "leaderboard")
	// One ticked trial is not a comparison: the form says so and stays.
	eval[bool](t, ctx, `document.querySelector('#rows input[name=t]').checked = true, true`)
	eval[bool](t, ctx, `document.getElementById('compare').click(), true`)
	if h := eval[string](t, ctx, `document.querySelector('#compare-form .hint').textContent`); !strings.Contains(h, "1 ticked") {
		t.Errorf("one ticked trial: hint %q", h)
	}
	mustAct(t, ctx, "compare two", `document.querySelectorAll('#rows input[name=t]')[1].checked = true; document.getElementById('compare').click()`,
		`document.readyState === 'complete' && !!document.getElementById('compare-metrics')`, 30*time.Second)
	if n := eval[int](t, ctx, `document.querySelectorAll('#compare-metrics thead th').length`); n != 3 {
		t.Errorf("compare table has %d heading cells, want 3", n)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#compare-metrics td.best').length`); n < 8 {
		t.Errorf("%d best cells marked, want one per row", n)
	}
	// ROC and PR curves, one line per trial, each of several points.
	lines := eval[[]int](t, ctx, `Array.from(document.querySelectorAll('figure.curve')).map(f => f.querySelectorAll('polyline').length)`)
	if !slices.Equal(lines, []int{2, 2}) {
		t.Errorf("curves: %v lines, want two figures of two", lines)
	}
	if pts := eval[int](t, ctx, `Math.min(...Array.from(document.querySelectorAll('figure.curve polyline')).map(p => p.getAttribute('points').split(' ').length))`); pts < 5 {
		t.Errorf("a curve has %d points", pts)
	}
	// Each line is drawn in its own colour (the page's CSP allows no inline styles).
	if cs := eval[string](t, ctx, `Array.from(document.querySelectorAll('figure.curve')[0].querySelectorAll('polyline')).map(p => getComputedStyle(p).stroke).join(' ')`); strings.Count(cs, "rgb(") != 2 || strings.Contains(cs, "none") {
		t.Errorf("curve colours: %q", cs)
	} else if c := strings.Split(cs, ") "); len(c) == 2 && c[0]+")" == c[1] {
		t.Errorf("both curves drawn in %s", c[1])
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#compare-params tbody tr').length`); n < 5 {
		t.Errorf("%d parameter rows", n)
	}
	fits(t, ctx, "compare trials")
	screenshot(t, ctx, "compare-trials")
	// Bad requests name the problem.
	if code, body, _ := c.get("/experiments/" + name + "/compare?t=1"); code != 400 || !strings.Contains(body, "two to four") {
		t.Errorf("one trial: %d %s", code, body)
	}
	// Experiments on the same data.
	visit(t, ctx, c.base+"/experiments/"+name, "compare-experiments")
	mustAct(t, ctx, "open experiment comparison", `document.getElementById('compare-experiments').click()`, `document.readyState === 'complete' && !!document.getElementById('compare-pick')`, 30*time.Second)
	mustAct(t, ctx, "add the other", `document.querySelector('#compare-pick input[value="`+other+`"]').checked = true; document.querySelector('#compare-pick button').click()`,
		`document.readyState === 'complete' && document.querySelectorAll('#compare-experiments thead th').length === 3`, 30*time.Second)
	if n := eval[int](t, ctx, `document.querySelectorAll('figure.chart polyline').length`); n != 2 {
		t.Errorf("best-score chart has %d lines, want 2", n)
	}
	fits(t, ctx, "compare experiments")
	screenshot(t, ctx, "compare-experiments")
}
