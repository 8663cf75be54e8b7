package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/mlflow"
)

func init() {
	register(command{"export", "export an experiment to an MLflow tracking server (automl export mlflow runs/<experiment>) or a trial as ONNX (automl export onnx runs/<experiment>/trials/<id> -o model.onnx)", cmdExport})
	addRunHook(&runHook{name: "mlflow", late: true, flags: liveFlags, onTrial: liveTrial, after: liveAfter})
}

func cmdExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "onnx" {
		return cmdExportONNX(ctx, args[1:], stdout, stderr)
	}
	fs := newFlags("export", stderr)
	uri := fs.String("tracking-uri", "", "MLflow tracking server, e.g. http://localhost:5000 (default $MLFLOW_TRACKING_URI)")
	name := fs.String("experiment-name", "", "MLflow experiment to log into (default: the experiment's name)")
	regName := fs.String("register-model", "", "register the best trial's model under this name, as a new version")
	alias := fs.String("alias", "champion", "with --register-model, the alias pointed at the registered version (\"\" for none)")
	timeout := fs.Duration("timeout", 0, "time bound on the whole export (0 = none); run it again to resume")
	workers := fs.Int("workers", 4, "trial runs exported at once")
	verbose := fs.Bool("v", false, "log each exported run")
	withBinary := fs.Bool("include-binary", false, "copy this automl binary into each MLflow Model (bin/automl), so its python_function flavor scores where automl is not installed")
	withONNX := fs.Bool("onnx", false, "add model.onnx, the model as one ONNX graph, to each MLflow Model (families ONNX expresses exactly)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: automl export mlflow runs/<experiment> [--tracking-uri URL] [--experiment-name N] [--register-model NAME]")
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args, 2)
	if err != nil {
		return err
	}
	if len(pos) == 0 || pos[0] != "mlflow" {
		return usagef("expected a target and a folder: automl export mlflow runs/<experiment> or automl export onnx runs/<experiment>/trials/<id> (mlflow and onnx are the only targets)")
	}
	if len(pos) != 2 {
		return usagef("expected the experiment folder: automl export mlflow runs/<experiment>")
	}
	if *workers < 1 {
		return usagef("--workers %d: expected at least 1", *workers)
	}
	if *timeout < 0 {
		return usagef("--timeout %v is negative", *timeout)
	}
	c, err := mlflow.NewClient(*uri)
	if err != nil {
		return usageError{err.Error() + " (give --tracking-uri)"}
	}
	opt := mlflow.ExportOptions{ExperimentName: *name, RegisterModel: *regName, Alias: *alias, Workers: *workers,
		ONNX: *withONNX, Producer: binaryVersion()}
	if *withBinary {
		if opt.Binary, err = os.Executable(); err != nil {
			return fmt.Errorf("--include-binary: %w", err)
		}
	}
	if *verbose {
		opt.Logger = slog.New(slog.NewTextHandler(stderr, nil))
		c.Logger = opt.Logger
	}
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	start := time.Now()
	rep, err := mlflow.Export(ctx, c, pos[1], opt)
	if err != nil {
		if rep != nil {
			fmt.Fprintf(stderr, "exported %d trial run(s) before the error; run the same command again to finish\n", rep.Exported)
		}
		return err
	}
	fmt.Fprintf(stdout, "mlflow experiment %s, parent run %s: %d trial run(s) exported, %d already complete\n",
		rep.ExperimentID, rep.ParentRunID, rep.Exported, rep.Skipped)
	if rep.ModelVersion != nil {
		fmt.Fprintf(stdout, "registered model %s version %s (source %s)\n", rep.ModelVersion.Name, rep.ModelVersion.Version, rep.ModelVersion.Source)
	}
	fmt.Fprintf(stderr, "exported in %.1fs\n", time.Since(start).Seconds())
	return nil
}

// The run hook: `automl run --mlflow URL` logs each trial as it finishes. onTrial only queues
// the trial; a background goroutine sends it. A server that cannot be reached never fails the
// experiment: the first give-up (after the client's bounded retries) stops the logging and is
// reported once, at the end, with the export command that finishes the job later.
var live struct {
	uri, name, register, alias string
	timeout                    time.Duration

	mu   sync.Mutex
	sess *liveSession
}

// liveRetry bounds each call of the live logger: a dead server costs a few seconds once.
var liveRetry = mlflow.RetryPolicy{MaxAttempts: 4, BaseDelay: 200 * time.Millisecond, MaxDelay: 2 * time.Second,
	MaxElapsed: 10 * time.Second, AttemptTimeout: 15 * time.Second}

func liveFlags(fs *flag.FlagSet) {
	live.mu.Lock()
	if s := live.sess; s != nil { // left by a command that failed before its after step
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	live.sess = nil
	live.mu.Unlock()
	fs.StringVar(&live.uri, "mlflow", "", "log each trial to this MLflow tracking server as it finishes (e.g. http://localhost:5000)")
	fs.StringVar(&live.name, "mlflow-experiment-name", "", "MLflow experiment for --mlflow (default: the experiment's name)")
	fs.StringVar(&live.register, "mlflow-register-model", "", "with --mlflow, register the best trial's model under this name")
	fs.StringVar(&live.alias, "mlflow-alias", "champion", "with --mlflow-register-model, the alias pointed at the registered version (\"\" for none)")
	fs.DurationVar(&live.timeout, "mlflow-timeout", 2*time.Minute, "with --mlflow, how long the end of the run waits for the logging to finish")
}

// liveSession is the logging of one experiment.
type liveSession struct {
	dir string
	x   *mlflow.Exporter

	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	queue  []automl.Trial
	wake   chan struct{}
	closed bool
	failed error // the first failure; later trials are not sent
	sent   int
	done   chan struct{}
}

func newLiveSession(ctx context.Context, dir string) *liveSession {
	s := &liveSession{dir: dir, wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	c, err := mlflow.NewClient(live.uri)
	if err == nil {
		c.Retry = liveRetry
		s.x, err = mlflow.NewExporter(c, dir, mlflow.ExportOptions{ExperimentName: live.name, Alias: live.alias})
	}
	if err != nil {
		s.failed = err
		close(s.done)
		return s
	}
	go s.loop()
	return s
}

// liveWorkers is how many trial runs the live logger sends at once.
const liveWorkers = 4

// loop sends the queued trials: everything queued since the last round, up to liveWorkers
// trials at a time, so the logging keeps up with a search that finishes trials faster than
// one run's requests take.
func (s *liveSession) loop() {
	defer close(s.done)
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.closed {
			s.mu.Unlock()
			<-s.wake
			s.mu.Lock()
		}
		batch := s.queue
		s.queue = nil
		s.mu.Unlock()
		if len(batch) == 0 {
			return
		}
		var wg sync.WaitGroup
		next := make(chan automl.Trial)
		for range min(liveWorkers, len(batch)) {
			wg.Go(func() {
				for t := range next {
					_, err := s.x.Trial(s.ctx, t)
					s.mu.Lock()
					if err != nil && s.failed == nil {
						s.failed = err
						s.cancel()
					}
					if err == nil {
						s.sent++
					}
					s.mu.Unlock()
				}
			})
		}
		for _, t := range batch {
			next <- t
		}
		close(next)
		wg.Wait()
		s.mu.Lock()
		failed := s.failed != nil
		if failed {
			s.queue = nil
		}
		s.mu.Unlock()
		if failed {
			return
		}
	}
}

func (s *liveSession) add(t automl.Trial) {
	s.mu.Lock()
	if s.failed == nil && !s.closed {
		s.queue = append(s.queue, t)
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// finish stops taking trials and waits until the queue is sent or d has passed.
func (s *liveSession) finish(d time.Duration) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.done:
	case <-t.C:
		s.cancel()
		<-s.done
		return fmt.Errorf("the logging did not finish within --mlflow-timeout %v", d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

func liveTrial(ctx context.Context, dir string, t automl.Trial) {
	if live.uri == "" || dir == "" {
		return
	}
	live.mu.Lock()
	if live.sess == nil || live.sess.dir != dir {
		live.sess = newLiveSession(ctx, dir)
	}
	s := live.sess
	live.mu.Unlock()
	s.add(t)
}

func liveAfter(ctx context.Context, res *automl.Result, stderr io.Writer) error {
	if live.uri == "" || res == nil {
		return nil
	}
	live.mu.Lock()
	s := live.sess
	if s == nil || s.dir != res.Dir {
		s = newLiveSession(ctx, res.Dir)
	}
	live.sess = nil
	live.mu.Unlock()
	start := time.Now()
	err := s.finish(live.timeout)
	if err == nil {
		// Whatever the queue did not carry (trials of an earlier run of a resumed experiment,
		// files added since), then the parent run and the registration.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(live.timeout-time.Since(start), time.Second))
		defer cancel()
		var rep *mlflow.ExportReport
		if rep, err = s.x.All(actx); err == nil {
			if live.register != "" {
				var mv *mlflow.ModelVersion
				if mv, err = s.x.Register(actx, live.register); err == nil {
					fmt.Fprintf(stderr, "mlflow: registered model %s version %s\n", mv.Name, mv.Version)
				}
			}
			if err == nil {
				fmt.Fprintf(stderr, "mlflow: logged %d trial run(s) to %s (experiment %s, parent run %s)\n",
					rep.Exported+rep.Skipped, live.uri, rep.ExperimentID, rep.ParentRunID)
				return nil
			}
		}
	}
	if errors.Is(err, context.Canceled) {
		err = errors.New("stopped")
	}
	fmt.Fprintf(stderr, "automl: warning: mlflow logging to %s failed: %v\n  the experiment is complete on disk; log it later with: automl export mlflow %s --tracking-uri %s\n",
		live.uri, err, res.Dir, live.uri)
	return nil
}
