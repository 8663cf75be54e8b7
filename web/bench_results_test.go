package web

import (
	"net/http"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkExperimentPage5000 renders the pages of a 5,000-trial
// experiment (issue 15: each page in under 100 ms), reading it from the
// store each time as the server does: the leaderboard (top 20), sorted by
// another metric, filtered by family, every trial, a trial and a comparison.
func BenchmarkExperimentPage5000(b *testing.B) {
	s, _ := newTestServer(&testing.T{}, Config{Runs: b.TempDir()})
	name := bigExperiment(b, s.cfg.Runs, 5000)
	exp := "/experiments/" + name
	pageRequest(s, exp) // the first request parses the log; later ones read the server's cache
	for _, p := range [][2]string{{"leaderboard", exp}, {"sorted", exp + "?sort=f1&dir=asc"}, {"family", exp + "?family=gbdt"},
		{"profile", exp + "?tab=profile"}, {"trial", exp + "/trials/4321"}, {"compare", exp + "/compare?t=1&t=2&t=3"}, {"all", exp + "?all=1"}} {
		path := p[1]
		b.Run(p[0], func(b *testing.B) {
			cpu0 := cpuTime()
			for b.Loop() {
				if w := pageRequest(s, path); w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
			// CPU time per page, beside the wall time: on a shared machine
			// the wall time also counts waiting for a core.
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}
