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
