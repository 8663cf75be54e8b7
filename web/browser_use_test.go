package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/goautoml/automl/samples"
)

// newTab opens a fresh tab of the test's browser with a time limit.
func newTab(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	bctx := browser(t)
	ctx, cancel := chromedp.NewContext(bctx)
	t.Cleanup(cancel)
	ctx, stop := context.WithTimeout(ctx, d)
	t.Cleanup(stop)
	return ctx
}

// uploadFile uploads the file at path from the /new page and waits until
// the page holds the element id.
func uploadFile(t *testing.T, ctx context.Context, base, path, id string) {
	t.Helper()
	visit(t, ctx, base+"/new", "file")
	step(t, ctx, "pick "+filepath.Base(path), chromedp.SetUploadFiles(chromedp.ID("file"), []string{path}))
	mustAct(t, ctx, "upload "+filepath.Base(path), `document.querySelector('#upload-form button[type=submit]').click()`,
		`location.pathname !== '/new' && `+loaded(id), 30*time.Second)
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// noServerPaths fails the test when the page shows where the server keeps files.
func noServerPaths(t *testing.T, ctx context.Context, runs string) {
	t.Helper()
	text := eval[string](t, ctx, `document.body.innerText`)
	if strings.Contains(text, runs) || strings.Contains(text, uploadsDir) {
		t.Errorf("the page shows the server's folders:\n%s", text)
	}
}

// TestBrowserUploadAndSettingsErrors: a refused upload or setting keeps the
// person on the form, with a message in plain words that names the file,
// line or column and never the server's folders (issue 15, errors).
func TestBrowserUploadAndSettingsErrors(t *testing.T) {
	t.Parallel()
	ctx := newTab(t, 3*time.Minute)
	s, c := newTestServer(t, Config{})

	// A PNG named .csv: refused on the upload page itself, saying what it is.
	png := writeTemp(t, "image.csv", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"))
	uploadFile(t, ctx, c.base, png, "upload-error")
	if msg := eval[string](t, ctx, `document.getElementById('upload-error').textContent`); !strings.Contains(msg, "image.csv is a PNG image") || strings.Contains(msg, "0x89") {
		t.Errorf("PNG upload says %q", msg)
	}
	if !eval[bool](t, ctx, `!!document.getElementById('upload-form') && !!document.getElementById('file')`) {
		t.Error("the refused upload does not show the upload form again")
	}
	noServerPaths(t, ctx, s.cfg.Runs)
	widths(t, ctx, "errors-1-png")

	// An Excel workbook: told to save it as CSV.
	xlsx := writeTemp(t, "book.csv", []byte("PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"))
	uploadFile(t, ctx, c.base, xlsx, "upload-error")
	if msg := eval[string](t, ctx, `document.getElementById('upload-error').textContent`); !strings.Contains(msg, "save it as CSV") {
		t.Errorf("xlsx upload says %q", msg)
	}

	// One column only: the target, and nothing to learn from.
	var one strings.Builder
	one.WriteString("class\n")
	for i := range 40 {
		one.WriteString([]string{"yes\n", "no\n"}[i%2])
	}
	uploadFile(t, ctx, c.base, writeTemp(t, "one_column.csv", []byte(one.String())), "target")
	if got := eval[string](t, ctx, `document.querySelector('main > p').textContent`); got != "40 rows, 1 column." {
		t.Errorf("size line %q", got)
	}
	mustAct(t, ctx, "choose the only column", chooseTarget, loaded("data-error"), 30*time.Second)
	if msg := eval[string](t, ctx, `document.getElementById('data-error').textContent`); !strings.Contains(msg, "one_column.csv") || !strings.Contains(msg, "no column besides the target") || strings.Contains(msg, "(dropped: )") {
		t.Errorf("one-column file says %q", msg)
	}
	noServerPaths(t, ctx, s.cfg.Runs)

	// A numeric target with many values: told to pick a categorical one.
	gc, err := samples.WriteGermanCredit(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	uploadFile(t, ctx, c.base, gc, "target")
	mustAct(t, ctx, "choose a numeric target", `document.getElementById('target').value = 'Duration in month'; document.querySelector('#target-form button[type=submit]').click()`,
		loaded("data-error"), 30*time.Second)
	if msg := eval[string](t, ctx, `document.getElementById('data-error').textContent`); !strings.Contains(msg, "looks numeric") || !strings.Contains(msg, "pick a categorical target") && !strings.Contains(msg, "Pick a categorical target") || strings.Contains(msg, "has 1 rows") {
		t.Errorf("numeric target says %q", msg)
	}
	widths(t, ctx, "errors-2-numeric-target")

	// A bad setting: the set-up page comes back with the message at the
	// form, the bad field marked and every other value as it was typed.
	mustAct(t, ctx, "choose class", chooseTarget, settingsLoaded+` && !document.getElementById('data-error')`, 30*time.Second)
	mustAct(t, ctx, "start with a bad budget", `document.getElementById('budget').value = '0'; document.getElementById('seed').value = '42';
		document.getElementById('cv').value = '3'; document.querySelectorAll('input[name=family]').forEach(b => b.checked = b.value === 'logistic');
		document.getElementById('exclude-0').checked = true; document.getElementById('start').click()`, loaded("form-error"), 30*time.Second)
	if msg := eval[string](t, ctx, `document.getElementById('form-error').textContent`); !strings.Contains(msg, `Time budget "0"`) {
		t.Errorf("bad budget says %q", msg)
	}
	kept := eval[string](t, ctx, `[document.getElementById('budget').value, document.getElementById('budget').getAttribute('aria-invalid'), document.getElementById('seed').value,
		document.getElementById('cv').value, Array.from(document.querySelectorAll('input[name=family]:checked')).map(b => b.value).join('+'),
		document.getElementById('exclude-0').checked, document.getElementById('target').value].join(' ')`)
	if kept != "0 true 42 3 logistic true class" {
		t.Errorf("form after the error: %q, want the values as sent", kept)
	}
	unlabelled(t, ctx)
	widths(t, ctx, "errors-3-bad-setting")
	// Fixed, it starts.
	mustAct(t, ctx, "start", `document.getElementById('budget').value = '5'; document.getElementById('start').click()`, loaded("leaderboard"), 30*time.Second)
}

// TestBrowserFrenchExcelToAPI goes, in the browser only, from the upload of
// a French Excel export (Windows-1252, ';' between fields, decimal commas)
// to a file of predictions and a request to the deployed model's endpoint,
// behind the server's token (issue 15: encodings, score a file, deploy).
func TestBrowserFrenchExcelToAPI(t *testing.T) {
	t.Parallel()
	ctx := newTab(t, 5*time.Minute)
	const token = "s3cret-token"
	s, c := newTestServer(t, Config{Token: token, Workers: 1})
	data, err := filepath.Abs("testdata/credit_fr.csv")
	if err != nil {
		t.Fatal(err)
	}

	visit(t, ctx, c.base+"/new", "token")
	mustAct(t, ctx, "log in", `document.getElementById('token').value = '`+token+`'; document.querySelector('form[action="/login"] button').click()`, loaded("file"), 30*time.Second)
	step(t, ctx, "pick the French file", chromedp.SetUploadFiles(chromedp.ID("file"), []string{data}))
	mustAct(t, ctx, "upload", `document.querySelector('#upload-form button[type=submit]').click()`, loaded("target"), 30*time.Second)
	dialect := eval[string](t, ctx, `['encoding', 'delimiter', 'decimal'].map(k => document.getElementById('dialect-' + k).textContent).join(' | ')`)
	if dialect != "windows-1252 | semicolon ; | comma (1,5)" {
		t.Errorf("dialect shown: %q", dialect)
	}
	if got := eval[string](t, ctx, `document.querySelector('#preview thead').textContent`); !strings.Contains(got, "Durée (mois)") || !strings.Contains(got, "Âge") {
		t.Errorf("accented column names misread: %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('#target optgroup[label=Suggested] option').value`); got != "Risque" {
		t.Errorf("first suggested target %q, want Risque", got)
	}
	widths(t, ctx, "french-1-setup")
	mustAct(t, ctx, "choose Risque", `document.getElementById('target').value = 'Risque'; document.querySelector('#target-form button[type=submit]').click()`, settingsLoaded, 30*time.Second)
	if got := eval[string](t, ctx, `document.getElementById('positive-shown').textContent`); got != "mauvais" {
		t.Errorf("positive class %q, want mauvais", got)
	}
	mustAct(t, ctx, "start", `document.getElementById('budget').value = '8'; document.getElementById('cv').value = '0';
		document.querySelectorAll('input[name=family]').forEach(b => b.checked = ['logistic','naive_bayes'].includes(b.value));
		document.getElementById('start').click()`, loaded("leaderboard"), 30*time.Second)
	poll(t, ctx, "the end of the search", `document.readyState === 'complete' && document.getElementById('status').textContent === 'done' && document.querySelectorAll('#rows tr').length > 0 && !document.getElementById('stop')`, 150*time.Second)
	name := eval[string](t, ctx, `document.querySelector('h1').textContent`)

	// The upload went into the experiment: nothing is left in the uploads.
	if ents, _ := os.ReadDir(filepath.Join(s.cfg.Runs, uploadsDir)); len(ents) != 0 {
		t.Errorf("%d uploads left after the experiment started", len(ents))
	}
	best := eval[string](t, ctx, `Array.from(document.querySelectorAll('#rows tr')).find(r => r.cells[0].textContent.trim() === '1').querySelector('a').getAttribute('href')`)
	visit(t, ctx, c.base+best, "use-model")
	mustAct(t, ctx, "use the model", `document.getElementById('use-model').click()`, loaded("score-form"), 30*time.Second)
	unlabelled(t, ctx)
	widths(t, ctx, "french-2-use")

	// Score the French file itself: its predictions come back as a CSV.
	step(t, ctx, "pick the file to score", chromedp.SetUploadFiles(chromedp.ID("score-file"), []string{data}))
	got := eval[string](t, ctx, `(async () => { const f = document.getElementById('score-form');
		const r = await fetch(f.action, {method: 'POST', body: new FormData(f)});
		return r.status + '\n' + r.headers.get('content-type') + '\n' + r.headers.get('content-disposition') + '\n' + await r.text(); })()`)
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 3+1+1000 || lines[0] != "200" || !strings.HasPrefix(lines[1], "text/csv") || !strings.Contains(lines[2], "credit_fr-predictions") {
		t.Fatalf("scoring answered %d lines: %q", len(lines), lines[:min(len(lines), 6)])
	}
	if lines[3] != "row,prediction,probability_bon,probability_mauvais" || !strings.HasPrefix(lines[4], "1,") {
		t.Errorf("predictions start %q, %q", lines[3], lines[4])
	}
	for _, l := range lines[4:] {
		f := strings.Split(l, ",")
		if len(f) != 4 || f[1] != "bon" && f[1] != "mauvais" {
			t.Fatalf("prediction line %q", l)
		}
	}
	// A file without the model's columns is refused on the page, by name.
	bad := writeTemp(t, "autre.csv", []byte("a;b\n1;2\n"))
	step(t, ctx, "pick a wrong file", chromedp.SetUploadFiles(chromedp.ID("score-file"), []string{bad}))
	mustAct(t, ctx, "score a wrong file", `document.getElementById('score-submit').click()`, loaded("score-error"), 30*time.Second)
	if msg := eval[string](t, ctx, `document.getElementById('score-error').textContent`); !strings.Contains(msg, "autre.csv") || !strings.Contains(msg, "columns are missing") {
		t.Errorf("wrong file says %q", msg)
	}
	noServerPaths(t, ctx, s.cfg.Runs)

	// Deploy, then call the endpoint as curl would: no cookie, the token.
	mustAct(t, ctx, "deploy", `document.getElementById('deploy-button').click()`, loaded("deployed"), 60*time.Second)
	widths(t, ctx, "french-3-deployed")
	curl := eval[string](t, ctx, `document.getElementById('curl').value`)
	endpoint := strings.TrimPrefix(eval[string](t, ctx, `document.getElementById('endpoint').textContent`), "POST ")
	body := eval[string](t, ctx, `document.getElementById('example-body').value`)
	if !strings.Contains(curl, endpoint) || !strings.Contains(curl, `Authorization: Bearer $AUTOML_TOKEN`) || strings.Contains(curl, token) {
		t.Errorf("curl example:\n%s", curl)
	}
	want := c.base + "/api/models/" + name + "/"
	if !strings.HasPrefix(endpoint, want) {
		t.Fatalf("endpoint %q, want under %s", endpoint, want)
	}
	for _, tc := range []struct {
		auth string
		code int
		has  string
	}{{"", 401, "token"}, {"Bearer " + token, 200, `"probabilities"`}} {
		req, _ := http.NewRequest("POST", endpoint+"?method=predict_proba", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || !strings.Contains(string(b), tc.has) {
			t.Errorf("POST %s with %q: %d %s", endpoint, tc.auth, resp.StatusCode, b)
		}
	}
	doc := eval[string](t, ctx, `(async () => { const r = await fetch(document.getElementById('openapi').href); const j = await r.json(); return r.status + ' ' + j.servers[0].url + ' ' + !!j.paths['/score'].post; })()`)
	if want := "200 /api/models/" + name + "/"; !strings.HasPrefix(doc, want) || !strings.HasSuffix(doc, " true") {
		t.Errorf("OpenAPI document: %q", doc)
	}
}

// TestBrowserSetupChoices: the positive class, column types (from the
// guardrail's link), columns left out, folds, the metric and the finishing
// step are chosen on the set-up page and recorded with the experiment; a
// file whose encoding detection gets wrong is read after choosing it
// (issue 15: choices, encodings).
func TestBrowserSetupChoices(t *testing.T) {
	t.Parallel()
	ctx := newTab(t, 4*time.Minute)
	s, c := newTestServer(t, Config{Workers: 1})

	// Windows-1252 whose first accented letter lies past the reader's first
	// megabyte: detection takes it for UTF-8 and the set-up page says where
	// reading failed, beside the choice of encoding.
	var b strings.Builder
	b.WriteString("ville;prix;classe\n")
	for i := range 100000 {
		fmt.Fprintf(&b, "Paris;%d,%d;%s\n", i%97, i%10, []string{"oui", "non"}[i%3%2])
	}
	b.WriteString("Orl\xe9ans;2,5;oui\n")
	late := writeTemp(t, "villes.csv", []byte(b.String()))
	uploadFile(t, ctx, c.base, late, "data-error")
	if msg := eval[string](t, ctx, `document.getElementById('data-error').textContent`); !strings.Contains(msg, "villes.csv, line 100002") {
		t.Errorf("late Windows-1252 byte says %q", msg)
	}
	noServerPaths(t, ctx, s.cfg.Runs)
	mustAct(t, ctx, "read as Windows-1252", `document.getElementById('encoding').value = 'windows-1252'; document.getElementById('reread').click()`,
		loaded("target")+` && !document.getElementById('data-error')`, 30*time.Second)
	if got := eval[string](t, ctx, `document.getElementById('dialect-encoding').textContent + ' ' + document.getElementById('dialect-decimal').textContent`); got != "windows-1252 comma (1,5)" {
		t.Errorf("after choosing the encoding: %q", got)
	}
	widths(t, ctx, "choices-1-encoding")

	// German Credit with every choice made on the page.
	gc, err := samples.WriteGermanCredit(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	uploadFile(t, ctx, c.base, gc, "target")
	mustAct(t, ctx, "choose class", chooseTarget, settingsLoaded, 30*time.Second)
	// A guardrail about a coded category links to its column's type.
	href := eval[string](t, ctx, `(Array.from(document.querySelectorAll('#alerts li')).find(l => l.textContent.includes('consider treating it as categorical')) || {querySelector: () => null}).querySelector('a.fix')?.getAttribute('href') || ''`)
	if !strings.HasPrefix(href, "#col-") {
		t.Fatalf("the coded-category guardrail has no link to its column (%q)", href)
	}
	col := eval[string](t, ctx, `document.querySelector('`+href+` th').textContent`)
	idx := strings.TrimPrefix(href, "#col-")
	mustAct(t, ctx, "follow the guardrail's link", `document.querySelector('#alerts a.fix[href="`+href+`"]').click()`, `location.hash === '`+href+`'`, 10*time.Second)
	mustAct(t, ctx, "treat it as categorical and check again", `document.getElementById('type-`+idx+`').value = 'categorical';
		document.getElementById('pos_label').value = '1'; document.getElementById('recheck').click()`,
		settingsLoaded+` && document.getElementById('positive-shown').textContent === '1'`, 30*time.Second)
	if eval[bool](t, ctx, `Array.from(document.querySelectorAll('#alerts li')).some(l => l.textContent.includes('`+col+`') && l.textContent.includes('treating it as categorical'))`) {
		t.Errorf("the guardrail about %s stays after making it categorical", col)
	}
	if got := eval[string](t, ctx, `document.getElementById('type-`+idx+`').value`); got != "categorical" {
		t.Errorf("the type choice was not kept: %q", got)
	}
	widths(t, ctx, "choices-2-setup")
	mustAct(t, ctx, "start", `document.getElementById('budget').value = '6'; document.getElementById('cv').value = '3';
		document.getElementById('metric').value = 'f1'; document.getElementById('exclude-1').checked = true;
		document.querySelectorAll('input[name=family]').forEach(b => b.checked = b.value === 'logistic');
		document.getElementById('explain_top').value = '0'; document.getElementById('notebooks').value = 'none';
		document.getElementById('ensemble').value = 'none'; document.getElementById('start').click()`, loaded("leaderboard"), 30*time.Second)
	name := eval[string](t, ctx, `document.querySelector('h1').textContent`)
	waitRun(t, s, name)
	x, err := s.load(name)
	if err != nil {
		t.Fatal(err)
	}
	cfg := x.Exp.Config
	got := fmt.Sprintf("%s %v %v %d %s %v %s %s", cfg.PosLabel, cfg.Kinds, cfg.ExcludeCols, cfg.Split.CV, cfg.Metric, cfg.Include, cfg.FinishFlags["explain-top"], cfg.Ensemble)
	want := fmt.Sprintf("1 map[%s:categorical] [Duration in month] 3 f1 [logistic] 0 none", col)
	if got != want {
		t.Errorf("recorded settings %q, want %q", got, want)
	}
	if x.Exp.Target.Classes[x.Exp.Target.Positive] != "1" {
		t.Errorf("positive class recorded %q", x.Exp.Target.Classes[x.Exp.Target.Positive])
	}
}

// widths checks that the page fits a phone's width and shoots it at 1400
// and 400 px when screenshots are asked for (the results half's helpers,
// screens_test.go).
func widths(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	fits(t, ctx, name)
	screenshot(t, ctx, name)
}
