package web

import (
	"context"
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
	shoot(t, ctx, "errors-1-png")

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
	shoot(t, ctx, "errors-2-numeric-target")

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
	shoot(t, ctx, "errors-3-bad-setting")
	// Fixed, it starts.
	mustAct(t, ctx, "start", `document.getElementById('budget').value = '5'; document.getElementById('start').click()`, loaded("leaderboard"), 30*time.Second)
}
