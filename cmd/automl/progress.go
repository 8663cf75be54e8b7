package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/dataset"
)

// progress shows a search's advance: a bar redrawn in place on a terminal,
// one line per trial otherwise.
type progress struct {
	w       io.Writer
	off     bool
	tty     bool
	mu      sync.Mutex
	metric  string
	timeout time.Duration
	max     int
	drawn   bool
	last    time.Time
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func newProgress(w io.Writer, off bool) *progress {
	p := &progress{w: w, off: off}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) start(e *automl.Experiment, dir string) {
	p.metric, p.timeout, p.max = e.Config.Metric, e.Config.Timeout, e.Config.MaxTrials
	if !p.off {
		fmt.Fprintf(p.w, "experiment %s\n", dir)
	}
}

func (p *progress) trial(t automl.Trial, pr automl.Progress) {
	if p.off {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	best := "-"
	if !math.IsNaN(pr.BestScore) {
		best = fmt.Sprintf("%.4f", pr.BestScore)
	}
	if !p.tty {
		// Plain output: a line when the best score improves, when a trial
		// fails, and otherwise at most every 10 s.
		improved := pr.Best != nil && pr.Best.ID == t.ID
		if !improved && t.Status == "ok" && time.Since(p.last) < 10*time.Second {
			return
		}
		p.last = time.Now()
		what := "new best"
		switch {
		case t.Status != "ok":
			what = "failed: " + firstLine(t.Error)
		case !improved:
			what = fmt.Sprintf("%s %.4f", p.metric, t.Score(p.metric))
		}
		fmt.Fprintf(p.w, "%5.0fs  trial %d %s: %s (best %s %s, %d trials done)\n", pr.Elapsed.Seconds(), t.ID, t.Model.Family, what, p.metric, best, pr.Done)
		return
	}
	frac := 0.0
	left := ""
	switch {
	case p.timeout > 0:
		frac = pr.Elapsed.Seconds() / p.timeout.Seconds()
		left = fmt.Sprintf(" · %s left", pr.Left.Round(time.Second))
	case p.max > 0:
		frac = float64(pr.Done) / float64(p.max)
	}
	frac = min(1, frac)
	const width = 24
	n := int(frac * width)
	bar := strings.Repeat("█", n) + strings.Repeat("░", width-n)
	fmt.Fprintf(p.w, "\r\x1b[K%s %d trials (%d failed) · best %s %s%s", bar, pr.Done, pr.Failed, p.metric, best, left)
	p.drawn = true
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

// readBar returns a dataset.Options.Progress that draws a read's advance on a
// terminal, redrawn in place at most five times a second: bytes read of the
// file's size, rows, rate and time left. It returns nil (no reporting) when w
// is not a terminal or off is set, so piped and JSON output stay clean.
func readBar(w io.Writer, name string, off bool) func(dataset.Progress) {
	if off {
		return nil
	}
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	var last time.Time
	drawn := false
	return func(p dataset.Progress) {
		if p.Done {
			if drawn {
				fmt.Fprintf(w, "\r\033[K")
			}
			return
		}
		if p.Elapsed < 500*time.Millisecond || time.Since(last) < 200*time.Millisecond {
			return
		}
		last, drawn = time.Now(), true
		fmt.Fprintf(w, "\r\033[K%s", readLine(name, p))
	}
}

// readLine is one line of read progress.
func readLine(name string, p dataset.Progress) string {
	const width = 24
	mb := func(b int64) float64 { return float64(b) / (1 << 20) }
	rate := mb(p.Bytes) / max(p.Elapsed.Seconds(), 1e-3)
	var b strings.Builder
	fmt.Fprintf(&b, "reading %s ", name)
	if p.Total > 0 {
		frac := min(1, float64(p.Bytes)/float64(p.Total))
		fill := int(frac * width)
		fmt.Fprintf(&b, "[%s%s] %3.0f%% %.1f/%.1f MB", strings.Repeat("=", fill), strings.Repeat(" ", width-fill), 100*frac, mb(p.Bytes), mb(p.Total))
	} else {
		fmt.Fprintf(&b, "%.1f MB", mb(p.Bytes))
	}
	fmt.Fprintf(&b, ", %d rows, %.1f MB/s", p.Rows, rate)
	if p.Total > 0 && p.Bytes > 0 && rate > 0 {
		left := time.Duration(mb(p.Total-p.Bytes) / rate * float64(time.Second))
		fmt.Fprintf(&b, ", %s left", left.Round(time.Second))
	}
	return b.String()
}
