package finish

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/mlflow"
)

// live logs trials to MLflow as they finish, during the search. Trials
// only queue; one goroutine sends them. A server that cannot be reached
// never fails the experiment: the first give-up (after the client's
// bounded retries) stops the logging, and the end of the step reports it.
type live struct {
	m   MLflow
	dir string
	x   *mlflow.Exporter

	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	queue  []automl.Trial
	wake   chan struct{}
	closed bool
	failed error // the first failure; later trials are not sent
	done   chan struct{}
}

// newLive starts the logging of the experiment in dir. It outlives ctx's
// cancellation (a stopped search is still logged); close ends it.
func newLive(ctx context.Context, m MLflow, dir string) *live {
	s := &live{m: m, dir: dir, wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	c, err := mlflow.NewClient(m.URI)
	if err == nil {
		c.Retry = LiveRetry
		if m.Retry != nil {
			c.Retry = *m.Retry
		}
		s.x, err = mlflow.NewExporter(c, dir, mlflow.ExportOptions{ExperimentName: m.ExperimentName})
	}
	if err != nil {
		s.failed = err
		close(s.done)
		return s
	}
	go s.loop()
	return s
}

// liveWorkers is how many trial runs the live logging sends at once.
const liveWorkers = 4

// loop sends the queued trials: everything queued since the last round,
// liveWorkers trials at a time, so the logging keeps up with a search that
// finishes trials faster than one run's requests take.
func (s *live) loop() {
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
		next := make(chan automl.Trial)
		var wg sync.WaitGroup
		for range min(liveWorkers, len(batch)) {
			wg.Go(func() {
				for t := range next {
					if _, err := s.x.Trial(s.ctx, t); err != nil {
						s.mu.Lock()
						if s.failed == nil {
							s.failed = err
							s.cancel()
						}
						s.mu.Unlock()
					}
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

func (s *live) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *live) add(t automl.Trial) {
	s.mu.Lock()
	if s.failed == nil && !s.closed {
		s.queue = append(s.queue, t)
	}
	s.mu.Unlock()
	s.poke()
}

// drain stops taking trials and waits until the queue is sent or the
// deadline has passed (then the logging is cancelled).
func (s *live) drain(deadline time.Time) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.poke()
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-s.done:
	case <-t.C:
		s.cancel()
		<-s.done
		return errors.New("the time for logging ran out")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

// close stops the logging at once (a run that failed before its step).
func (s *live) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.poke()
	<-s.done
}

// finish sends what the queue did not carry (trials of an earlier run of
// a resumed experiment, files written since: explanations, notebooks),
// then the parent run and the registration, by deadline.
func (s *live) finish(ctx context.Context, deadline time.Time) (string, error) {
	defer s.cancel()
	if err := s.drain(deadline); err != nil {
		return "", err
	}
	actx, cancel := context.WithDeadline(s.ctx, deadline)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	rep, err := s.x.All(actx)
	if err != nil {
		return "", err
	}
	msg := fmt.Sprintf("logged %d trial run(s) to %s (experiment %s, parent run %s)", rep.Exported+rep.Skipped, s.m.URI, rep.ExperimentID, rep.ParentRunID)
	if s.m.RegisterModel != "" {
		mv, err := s.x.Register(actx, s.m.RegisterModel)
		if err != nil {
			return "", err
		}
		msg += fmt.Sprintf("; registered model %s version %s", mv.Name, mv.Version)
	}
	return msg, nil
}
