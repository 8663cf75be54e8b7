package web

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/finish"
	"github.com/goautoml/automl/remote"
	"github.com/goautoml/automl/store"
)

// launch prepares an experiment and starts its search under the server's
// context (not the request's: the search outlives the request), then the
// finishing step, with the command line's budget semantics: the budget
// counts from started (when the request came, before the data was read)
// and bounds the finishing step too. It returns the experiment's name once
// the search is running.
//
// With exec a nats:// URL, the trials run on the workers of that NATS
// server (credentials from the URL or the NATS_* environment variables).
//
// The data file (an upload) is linked or copied into the experiment's
// folder first (store.Layout.Data): the experiment owns its data, so the
// upload can go, and resume, explanations and re-created bundles read the
// copy. It returns the copy's path too.
func (s *Server) launch(f *dataset.Frame, cfg automl.Config, fo finish.Options, started time.Time, exec string) (name, data string, err error) {
	cfg.Workers = s.cfg.Workers
	cfg.RunsDir = s.cfg.Runs
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg.Name = s.freeName(strings.TrimSuffix(filepath.Base(cfg.Data), filepath.Ext(cfg.Data)))
	cfg.FinishFlags = fo.Flags() // automl resume finishes it the same way
	dir := store.ExperimentDir(s.cfg.Runs, cfg.Name)
	data = store.At(dir).Data(cfg.Data)
	if err := linkOrCopy(cfg.Data, data); err != nil {
		os.RemoveAll(dir)
		return "", "", fmt.Errorf("cannot keep a copy of the data with the experiment: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dir) // nothing of a failed start is left
		}
	}()
	cfg.Data = data
	g := *f // the frame is the cache's: the copy names the experiment's file
	g.Path = data
	p, err := automl.PrepareFrame(&g, cfg)
	if err != nil {
		return "", "", err
	}
	if err := s.ctx.Err(); err != nil {
		return "", "", fmt.Errorf("the server is shutting down")
	}
	var opt automl.Options
	closeExec := func() {}
	if exec != "" {
		conn, err := remote.Dial(s.ctx, remote.Config{URL: exec, Name: "automl ui " + cfg.Name, Logger: s.log})
		if err != nil {
			return "", "", err
		}
		x, err := remote.NewExecutor(s.ctx, conn, p.Experiment, remote.ExecutorOptions{Logger: s.log})
		if err != nil {
			conn.Close()
			return "", "", err
		}
		opt.Executor = x
		closeExec = func() { x.Close(); conn.Close() }
	}
	snap := *p.Experiment
	snap.Status, snap.Started = "running", started.UTC()
	fo.Data = p.Data
	s.run(snap, nil, fo, started, cfg.Timeout, closeExec, func(ctx context.Context, opt automl.Options) (*automl.Result, error) {
		return automl.RunPrepared(ctx, p, opt)
	}, opt)
	ok = true
	return snap.Name, data, nil
}

// linkOrCopy makes dst hold src's bytes: a hard link when both are on one
// file system, else a copy (written through a temporary file and renamed).
func linkOrCopy(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return store.Write(dst, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}

// run starts search (a new run or a resume) under the server's context,
// shown live as the experiment snap holding the trials done, then the
// finishing step fo within timeout from started, then retention. Called
// with s.mu held.
func (s *Server) run(snap automl.Experiment, done []automl.Trial, fo finish.Options, started time.Time, timeout time.Duration,
	closeExec func(), search func(context.Context, automl.Options) (*automl.Result, error), opt automl.Options) {
	ctx, cancel := context.WithCancel(s.ctx)
	// The finishing step has a context of its own: a stopped search is
	// still finished, and stop ends the current phase.
	fctx, fcancel := context.WithCancel(s.ctx)
	l := newLiveRun(snap, cancel)
	l.trials = append(l.trials, done...)
	fo.Workers, fo.Logger, fo.ModuleDir = s.cfg.Workers, s.log, s.cfg.Finish.ModuleDir
	fo.OnPhase = func(p finish.Phase) { l.setPhase(string(p), fcancel) }
	step := finish.Start(fo, started, timeout)
	s.live.add(l)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer cancel()
		defer fcancel()
		opt.Logger, opt.OnTrial, opt.Background = s.log, l.add, &s.wg
		res, err := search(ctx, step.Search(ctx, opt))
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
		if err != nil || s.ctx.Err() != nil {
			step.Run(fctx, nil)
		} else {
			rep, ferr := step.Run(fctx, res)
			if ferr != nil {
				s.log.Warn("finishing step", "experiment", snap.Name, "err", ferr)
			}
			if rep != nil {
				s.log.Info("finished", "experiment", snap.Name, "explained", rep.Explained, "not_explained", rep.NotExplained,
					"notebooks", rep.Notebooks, "notebooks_left", rep.NotebooksLeft, "mlflow", rep.MLflow, "seconds", rep.Seconds)
			}
			// Retention, as `automl run` applies it: the best few trials
			// and any a person opened keep their bundle.
			if _, gerr := automl.GC(res.Dir, automl.DefaultRetain, false); gerr != nil {
				s.log.Warn("retention", "experiment", snap.Name, "err", gerr)
			}
		}
		l.end(status, stop)
	}()
}

// freeName picks stem-<UTC time>, with a suffix when that folder is taken.
// Called with s.mu held.
func (s *Server) freeName(stem string) string {
	base := stem + "-" + time.Now().UTC().Format("20060102-150405")
	name := base
	for i := 2; ; i++ {
		_, err := os.Stat(store.ExperimentDir(s.cfg.Runs, name))
		if os.IsNotExist(err) && s.live.get(name) == nil {
			return name
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
}
