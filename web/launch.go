package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/explain"
	"github.com/goautoml/automl/notebookgen"
	"github.com/goautoml/automl/remote"
)

// launch prepares an experiment and starts its search under the server's
// context (not the request's: the search outlives the request). It returns
// the experiment's name once the search is running.
//
// With exec a nats:// URL, the trials run on the workers of that NATS
// server (credentials from the URL or the NATS_* environment variables).
func (s *Server) launch(f *dataset.Frame, cfg automl.Config, exec string) (string, error) {
	cfg.Workers = s.cfg.Workers
	cfg.RunsDir = s.cfg.Runs
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg.Name = s.freeName(strings.TrimSuffix(filepath.Base(cfg.Data), filepath.Ext(cfg.Data)))
	p, err := automl.PrepareFrame(f, cfg)
	if err != nil {
		return "", err
	}
	if err := s.ctx.Err(); err != nil {
		return "", fmt.Errorf("the server is shutting down")
	}
	var opt automl.Options
	closeExec := func() {}
	if exec != "" {
		conn, err := remote.Dial(s.ctx, remote.Config{URL: exec, Name: "automl ui " + cfg.Name, Logger: s.log})
		if err != nil {
			return "", err
		}
		x, err := remote.NewExecutor(s.ctx, conn, p.Experiment, remote.ExecutorOptions{Logger: s.log})
		if err != nil {
			conn.Close()
			return "", err
		}
		opt.Executor = x
		closeExec = func() { x.Close(); conn.Close() }
	}
	ctx, cancel := context.WithCancel(s.ctx)
	snap := *p.Experiment
	snap.Status, snap.Started = "running", time.Now().UTC()
	l := newLiveRun(snap, cancel)
	s.live.add(l)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer cancel()
		opt.Logger, opt.OnTrial = s.log, l.add
		res, err := automl.RunPrepared(ctx, p, opt)
		closeExec()
		status, stop := "failed", automl.StopReason("")
		if res != nil {
			status, stop = res.Experiment.Status, res.Experiment.StopReason
		}
		if err != nil {
			s.log.Error("experiment failed", "name", snap.Name, "err", err)
			l.fail(err)
		} else {
			s.log.Info("experiment ended", "name", snap.Name, "status", status, "stop", stop)
		}
		if res != nil && res.Best != nil && s.cfg.Explain > 0 && s.ctx.Err() == nil {
			// Explanations and notebooks, in a phase of its own: a stopped
			// search is still explained, and stop ends this phase too.
			fctx, fcancel := context.WithCancel(s.ctx)
			l.setPhase("explain", fcancel)
			s.finish(fctx, res.Dir, res.Experiment, p.Data)
			fcancel()
		}
		l.end(status, stop)
	}()
	return snap.Name, nil
}

// freeName picks stem-<UTC time>, with a suffix when that folder is taken.
// Called with s.mu held.
func (s *Server) freeName(stem string) string {
	base := stem + "-" + time.Now().UTC().Format("20060102-150405")
	name := base
	for i := 2; ; i++ {
		_, err := os.Stat(filepath.Join(s.cfg.Runs, name))
		if os.IsNotExist(err) && s.live.get(name) == nil {
			return name
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
}

// finish explains the best trials and writes the notebooks, within a
// quarter of the search budget (at least 10 s, at most 2 min). Failures
// are logged: the pages say "not made yet" for what is missing.
func (s *Server) finish(ctx context.Context, dir string, e *automl.Experiment, d *automl.Data) {
	bound := min(max(10*time.Second, e.Config.Timeout/4), 2*time.Minute)
	start := time.Now()
	_, err := explain.Experiment(ctx, dir, s.cfg.Explain, explain.Options{Timeout: bound, SHAPTimeout: bound / 2,
		Workers: s.cfg.Workers, Data: d, Logger: s.log})
	if err != nil {
		s.log.Warn("explain", "experiment", e.Name, "err", err)
	}
	s.log.Info("explained", "experiment", e.Name, "seconds", time.Since(start).Seconds())
	if ctx.Err() != nil {
		return
	}
	data, err := filepath.Abs(e.Data.Path)
	if err != nil {
		data = e.Data.Path
	}
	o := notebookgen.Options{ModuleDir: s.cfg.NotebookModule, StoreDir: dir, DataPath: data}
	if _, err := notebookgen.WriteExperiment(dir, notebookgen.Top, o); err != nil {
		s.log.Warn("notebooks", "experiment", e.Name, "err", err)
	}
	s.log.Info("notebooks written", "experiment", e.Name, "seconds", time.Since(start).Seconds())
}
