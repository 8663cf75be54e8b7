package web

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Screenshots for people to look at: every page at a desktop and a phone
// width. They are written when the test runs with Go's -artifacts flag
// (under -outputdir, see 'go doc testing.T.ArtifactDir') or when
// AUTOML_ARTIFACTS names a folder (what .ci/run sets, so that `make test`
// stays the one command): then NAME-1400.png and NAME-400.png go to
// $AUTOML_ARTIFACTS/web/<test name>/.

// screenWidths are the widths every page is checked and shot at.
var screenWidths = []int64{1400, 400}

// artifactDir is the folder for this test's screenshots, "" when none are
// asked for.
func artifactDir(t *testing.T) string {
	t.Helper()
	if f := flag.Lookup("test.artifacts"); f != nil && f.Value.String() == "true" {
		return t.ArtifactDir()
	}
	root := os.Getenv("AUTOML_ARTIFACTS")
	if root == "" {
		return ""
	}
	dir := filepath.Join(root, "web", strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Errorf("artifacts: %v", err)
		return ""
	}
	return dir
}

// setWidth resizes the tab's viewport (900 px high) and waits for the
// page to lay out again.
func setWidth(t *testing.T, ctx context.Context, w int64) {
	t.Helper()
	step(t, ctx, "viewport width", chromedp.EmulateViewport(w, 900))
	poll(t, ctx, "the new width", `window.innerWidth === `+itoa(w), 10*time.Second)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// screenshot shoots the current page at 1400 px and at 400 px (full page)
// when screenshots are asked for, and leaves the viewport at 1400 px.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := artifactDir(t)
	if dir == "" {
		return
	}
	for _, w := range screenWidths {
		setWidth(t, ctx, w)
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100)) // 100: PNG (less is JPEG)
		cancel()
		if err != nil {
			t.Errorf("screenshot %s at %d px: %v", name, w, err)
			continue
		}
		path := filepath.Join(dir, name+"-"+itoa(w)+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Error(err)
		}
	}
	setWidth(t, ctx, screenWidths[0])
}

// overflowJS describes what sticks out of the viewport: "" when nothing
// does. Tables may scroll inside their own box (an ancestor that scrolls
// and fits); the page itself must not scroll sideways.
const overflowJS = `(() => {
  const w = window.innerWidth, out = [];
  if (document.documentElement.scrollWidth > w) out.push('scrollWidth ' + document.documentElement.scrollWidth);
  const clipped = e => {
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if ((o === 'auto' || o === 'scroll' || o === 'hidden') && a.getBoundingClientRect().right <= w + 0.5) return true;
    }
    return false;
  };
  for (const e of document.querySelectorAll('main *, header *')) {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > w + 0.5 && !clipped(e) && out.length < 6) out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' right=' + Math.round(r.right));
  }
  return out.join(', ');
})()`

// fits fails the test when the page at the phone width is wider than the
// screen, and checks the text of charts is at least 10 px high.
func fits(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	setWidth(t, ctx, 400)
	if o := eval[string](t, ctx, overflowJS); o != "" {
		t.Errorf("%s at 400 px: the page scrolls sideways: %s", page, o)
	}
	if small := eval[string](t, ctx, `Array.from(document.querySelectorAll('figure.chart text, figure.chart span')).filter(e => e.textContent.trim() && e.getBoundingClientRect().height < 10).map(e => e.textContent + ' ' + e.getBoundingClientRect().height.toFixed(1) + ' px').join('; ')`); small != "" {
		t.Errorf("%s at 400 px: chart text too small to read: %s", page, small)
	}
	setWidth(t, ctx, screenWidths[0])
}
