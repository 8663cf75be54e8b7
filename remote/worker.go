package remote

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/store"
)

// WorkerOptions configure a Worker; zero values mean the documented defaults.
type WorkerOptions struct {
	// Name identifies the worker in heartbeats and trial records (default
	// host-pid).
	Name string
	// Concurrency is how many trials the worker runs at once (default: the
	// number of cores). Each trial fits on one core.
	Concurrency int
	// CacheDir keeps the experiments' data by sha256 (default: the user's
	// cache folder, automl/data).
	CacheDir string
	// AckWait is how long a trial message stays with a worker that has gone
	// silent before it is delivered to another (default 30 s); a live
	// worker tells the server it is still working every AckWait/4.
	AckWait time.Duration
	// MaxDeliver bounds how often one trial message is delivered (default
	// 5); then the coordinator records the trial as failed.
	MaxDeliver int
	// Grace is how long trials in flight may finish once the worker is
	// told to stop; those still running then are handed back to the queue
	// (default 10 s).
	Grace  time.Duration
	Logger *slog.Logger
}

// Worker pulls trial messages and runs them until its context ends.
type Worker struct {
	conn *Conn
	opt  WorkerOptions
	log  *slog.Logger
	host string

	mu       sync.Mutex
	inflight map[string]context.CancelCauseFunc // "<token>/<id>" → cancel
	current  map[string]string                  // "<token>/<id>" → "<experiment>/<id>"
	done     int
	started  time.Time
	data     map[string]*dataEntry // sha256|fingerprint → prepared data
	dataUse  []string              // keys of data, least recently used first
	arts     map[string]jetstream.ObjectStore
}

type dataEntry struct {
	once sync.Once
	d    *automl.Data
	err  error
}

// maxPrepared is how many experiments' prepared data a worker keeps.
const maxPrepared = 4

var (
	errCancelled = errors.New("cancelled by the coordinator")
	errShutdown  = errors.New("worker stopping")
)

// NewWorker returns a worker on conn.
func NewWorker(conn *Conn, opt WorkerOptions) (*Worker, error) {
	host, _ := os.Hostname()
	if opt.Name == "" {
		opt.Name = host + "-" + strconv.Itoa(os.Getpid())
	}
	opt.Name = keySafe(opt.Name)
	if opt.Concurrency <= 0 {
		opt.Concurrency = runtime.NumCPU()
	}
	if opt.CacheDir == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("no cache folder (give one with --cache): %w", err)
		}
		opt.CacheDir = filepath.Join(dir, "automl", "data")
	}
	if err := os.MkdirAll(opt.CacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("cache folder: %w", err)
	}
	if opt.AckWait <= 0 {
		opt.AckWait = 30 * time.Second
	}
	if opt.MaxDeliver <= 0 {
		opt.MaxDeliver = 5
	}
	if opt.Grace <= 0 {
		opt.Grace = 10 * time.Second
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Worker{conn: conn, opt: opt, log: log.With("worker", opt.Name), host: host,
		inflight: map[string]context.CancelCauseFunc{}, current: map[string]string{},
		data: map[string]*dataEntry{}, arts: map[string]jetstream.ObjectStore{}}, nil
}

// Name is the worker's name.
func (w *Worker) Name() string { return w.opt.Name }

// Run pulls and runs trials until ctx ends. Then it stops pulling, lets the
// trials in flight finish within the grace period, hands back those still
// running, and returns.
func (w *Worker) Run(ctx context.Context) error {
	w.started = time.Now().UTC()
	cons, err := w.conn.JS.CreateOrUpdateConsumer(ctx, TrialStream, jetstream.ConsumerConfig{
		Durable: WorkerConsumer, Description: "automl workers",
		AckPolicy: jetstream.AckExplicitPolicy, AckWait: w.opt.AckWait, MaxDeliver: w.opt.MaxDeliver,
		FilterSubject: trialSubjects, MaxAckPending: -1,
	})
	if err != nil {
		return fmt.Errorf("NATS server %s: consumer %s: %w", w.conn.URL, WorkerConsumer, err)
	}
	sub, err := w.conn.NC.Subscribe(cancelSubjects, w.onCancel)
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()

	// Trials run under hard, which outlives ctx by the grace period.
	hard, stopHard := context.WithCancelCause(context.WithoutCancel(ctx))
	defer stopHard(errShutdown)
	stopAfter := context.AfterFunc(ctx, func() {
		time.AfterFunc(w.opt.Grace, func() { stopHard(errShutdown) })
	})
	defer stopAfter()

	w.beat(ctx)
	beatDone := make(chan struct{})
	go func() {
		defer close(beatDone)
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				w.beat(ctx)
			}
		}
	}()
	w.log.Info("worker ready", "server", w.conn.URL, "concurrency", w.opt.Concurrency, "cache", w.opt.CacheDir)

	var wg sync.WaitGroup
	for range w.opt.Concurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				batch, err := cons.Fetch(1, jetstream.FetchContext(fctx))
				if err != nil {
					cancel()
					if ctx.Err() == nil {
						w.log.Debug("fetch", "err", err)
						sleep(ctx, 250*time.Millisecond)
					}
					continue
				}
				for msg := range batch.Messages() {
					if ctx.Err() != nil {
						msg.Nak() // fetched as we stop: hand it back at once
						continue
					}
					w.handle(ctx, hard, msg)
				}
				cancel()
			}
		})
	}
	wg.Wait()
	<-beatDone
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	w.conn.workers.Delete(dctx, w.opt.Name)
	w.log.Info("worker stopped", "trials", w.done)
	return nil
}

// handle runs one trial message to its end: acked once its result is
// published, handed back (nak) when the worker stops first, terminated when
// the coordinator cancelled it.
func (w *Worker) handle(ctx, hard context.Context, msg jetstream.Msg) {
	received := time.Now().UTC()
	tok, id := subjectTrial(msg.Subject())
	var vo versionOf
	if err := json.Unmarshal(msg.Data(), &vo); err != nil || vo.V < 1 {
		w.log.Error("not a trial message: dropped", "subject", msg.Subject())
		msg.TermWithReason("not a trial message")
		return
	}
	if vo.V > Version {
		text := fmt.Sprintf("worker %s speaks protocol %d (automl %s) but trial %d was sent with protocol %d: upgrade the worker",
			w.opt.Name, Version, automl.Version, id, vo.V)
		w.log.Error(text)
		w.notify(tok, id, text)
		msg.NakWithDelay(time.Second) // a newer worker may take it
		return
	}
	var m TrialMsg
	if err := json.Unmarshal(msg.Data(), &m); err != nil {
		w.log.Error("malformed trial message: dropped", "subject", msg.Subject(), "err", err)
		msg.TermWithReason("malformed trial message")
		return
	}
	key := m.Token + "/" + strconv.Itoa(m.Spec.ID)
	tctx, cancel := context.WithCancelCause(hard)
	defer cancel(nil)
	w.mu.Lock()
	w.inflight[key], w.current[key] = cancel, m.Experiment+"/"+strconv.Itoa(m.Spec.ID)
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.inflight, key)
		delete(w.current, key)
		w.mu.Unlock()
	}()
	w.log.Info("trial started", "experiment", m.Experiment, "trial", m.Spec.ID, "family", m.Spec.Model.Family)
	w.beat(ctx)

	// Tell the server the trial is alive, so it is not redelivered.
	alive := make(chan struct{})
	go func() {
		t := time.NewTicker(w.opt.AckWait / 4)
		defer t.Stop()
		for {
			select {
			case <-alive:
				return
			case <-t.C:
				msg.InProgress()
			}
		}
	}()
	res, err := w.run(tctx, m)
	close(alive)
	var refused refusal
	switch {
	case errors.As(err, &refused):
		w.log.Error(refused.text, "experiment", m.Experiment, "trial", m.Spec.ID)
		w.notify(tok, id, refused.text)
		msg.NakWithDelay(time.Second)
		return
	case err != nil:
		if errors.Is(context.Cause(tctx), errCancelled) {
			w.log.Info("trial cancelled", "experiment", m.Experiment, "trial", m.Spec.ID)
			msg.TermWithReason("cancelled by the coordinator")
		} else {
			w.log.Info("trial handed back", "experiment", m.Experiment, "trial", m.Spec.ID)
			msg.Nak()
		}
		return
	}
	res.V, res.Worker, res.Received = Version, w.opt.Name, received
	b, err := json.Marshal(res)
	if err != nil {
		w.log.Error("encode result", "err", err)
		msg.Nak()
		return
	}
	meta, _ := msg.Metadata()
	msgID := m.Token + "." + strconv.Itoa(m.Spec.ID)
	if meta != nil {
		msgID += "." + strconv.FormatUint(meta.Sequence.Stream, 10)
	}
	// The result must reach the stream before the ack: publish until it
	// does (the server may be restarting), or hand the trial back.
	pctx, pcancel := context.WithTimeout(context.WithoutCancel(hard), time.Minute)
	defer pcancel()
	for {
		_, err = w.conn.JS.PublishMsg(pctx, &nats.Msg{Subject: resultSubject(m.Token), Data: b}, jetstream.WithMsgID(msgID))
		if err == nil || pctx.Err() != nil {
			break
		}
		w.log.Warn("publish result; retrying", "trial", m.Spec.ID, "err", err)
		sleep(pctx, 250*time.Millisecond)
	}
	if err != nil {
		w.log.Error("could not publish the result: trial handed back", "trial", m.Spec.ID, "err", err)
		msg.Nak()
		return
	}
	if err := msg.DoubleAck(pctx); err != nil {
		// The result is out; a redelivery gives a duplicate, recorded once.
		w.log.Warn("ack", "trial", m.Spec.ID, "err", err)
	}
	w.mu.Lock()
	w.done++
	w.mu.Unlock()
	w.log.Info("trial finished", "experiment", m.Experiment, "trial", m.Spec.ID, "status", res.Trial.Status)
	w.beat(ctx)
}

// refusal is a trial the worker cannot run as the coordinator would: it is
// handed back for another worker, and the coordinator is told why.
type refusal struct{ text string }

func (r refusal) Error() string { return r.text }

// run fetches the data, runs the trial and uploads its artifacts. The error
// is non-nil only when the trial was cut short or refused; every other
// failure is a failed trial.
func (w *Worker) run(ctx context.Context, m TrialMsg) (res ResultMsg, err error) {
	fail := func(format string, a ...any) (ResultMsg, error) {
		msg := fmt.Sprintf("worker %s: ", w.opt.Name) + fmt.Sprintf(format, a...)
		return ResultMsg{Trial: automl.Trial{TrialSpec: m.Spec, Status: "failed", Error: msg, Timing: automl.Timing{Started: time.Now().UTC()}}}, nil
	}
	defer func() {
		if r := recover(); r != nil {
			res, err = fail("panic: %v\n%s", r, debug.Stack())
		}
	}()
	d, err := w.prepared(ctx, m)
	if err != nil {
		if ctx.Err() != nil {
			return res, context.Cause(ctx)
		}
		var rf refusal
		if errors.As(err, &rf) {
			return res, err
		}
		return fail("%v", err)
	}
	o, err := runLocal(ctx, d, m.Experiment, m.Spec)
	if err != nil {
		return res, err
	}
	res.Trial = o.Trial
	if o.Trial.Status != "ok" {
		return res, nil
	}
	arts, err := w.artifacts(ctx, m.Token)
	if err != nil {
		return fail("trial %d: the object store of artifacts: %v", m.Spec.ID, err)
	}
	if o.Bundle != nil {
		tmp, err := os.MkdirTemp("", "automl-bundle-")
		if err != nil {
			return fail("trial %d: %v", m.Spec.ID, err)
		}
		defer os.RemoveAll(tmp)
		if err := o.Bundle.WriteBundle(tmp); err != nil {
			res.Trial.Status, res.Trial.Error = "failed", "save bundle: "+err.Error()
			return res, nil
		}
		tarball, err := packDir(tmp)
		if err != nil {
			return fail("trial %d: pack bundle: %v", m.Spec.ID, err)
		}
		res.Bundle = strconv.Itoa(m.Spec.ID) + "/bundle.tar"
		if err := putObject(ctx, arts, res.Bundle, tarball); err != nil {
			return fail("trial %d: upload the bundle to the object store: %v", m.Spec.ID, err)
		}
	}
	if o.Predictions != nil {
		res.Predictions = strconv.Itoa(m.Spec.ID) + "/predictions.bin"
		b := encodePredictions(o.Predictions)
		if err := putObject(ctx, arts, res.Predictions, b); err != nil {
			return fail("trial %d: upload the predictions to the object store: %v", m.Spec.ID, err)
		}
	}
	return res, nil
}

// prepared returns the experiment's data prepared as the coordinator did,
// from the cached data file (fetched from the object store on first use).
func (w *Worker) prepared(ctx context.Context, m TrialMsg) (*automl.Data, error) {
	key := m.Data.SHA256 + "|" + m.Prepared
	w.mu.Lock()
	e, ok := w.data[key]
	if !ok {
		e = &dataEntry{}
		w.data[key] = e
	}
	w.dataUse = append(slices.DeleteFunc(w.dataUse, func(k string) bool { return k == key }), key)
	if len(w.dataUse) > maxPrepared {
		delete(w.data, w.dataUse[0])
		w.dataUse = w.dataUse[1:]
	}
	w.mu.Unlock()
	e.once.Do(func() { e.d, e.err = w.prepare(ctx, m) })
	if e.err != nil {
		w.mu.Lock()
		if w.data[key] == e {
			delete(w.data, key) // try again on the next trial
		}
		w.mu.Unlock()
	}
	return e.d, e.err
}

func (w *Worker) prepare(ctx context.Context, m TrialMsg) (*automl.Data, error) {
	path, err := w.fetchData(ctx, m.Data)
	if err != nil {
		return nil, err
	}
	f, err := dataset.Read(path, m.Config.ReadOptions())
	if err != nil {
		return nil, refusal{fmt.Sprintf("worker %s cannot read experiment %s's data: %v", w.opt.Name, m.Experiment, err)}
	}
	cfg := m.Config
	cfg.Data = path
	e := &automl.Experiment{Name: m.Experiment, Config: cfg, Data: automl.DataInfo{SHA256: m.Data.SHA256}}
	p, err := automl.PrepareExperiment(e, f)
	if err != nil {
		return nil, refusal{fmt.Sprintf("worker %s cannot prepare experiment %s's data: %v", w.opt.Name, m.Experiment, err)}
	}
	if got := fingerprint(p.Experiment); got != m.Prepared {
		return nil, refusal{fmt.Sprintf("worker %s (automl %s) prepares experiment %s's data differently from the coordinator (plan or split differ): upgrade the worker or the coordinator so both run the same version",
			w.opt.Name, automl.Version, m.Experiment)}
	}
	return p.Data, nil
}

// fetchData returns the path of the data file in the cache, fetching it
// from the object store when absent. The sha256 is checked both ways.
func (w *Worker) fetchData(ctx context.Context, ref DataRef) (string, error) {
	if len(ref.SHA256) != 64 || strings.Trim(ref.SHA256, "0123456789abcdef") != "" {
		return "", fmt.Errorf("data sha256 %q is not a sha256", ref.SHA256)
	}
	ext := filepath.Ext("x" + ref.Ext)
	path := filepath.Join(w.opt.CacheDir, ref.SHA256+ext)
	if b, err := os.ReadFile(path); err == nil {
		if sha(b) == ref.SHA256 {
			return path, nil
		}
		w.log.Warn("cached data file is corrupt: fetching it again", "path", path)
	}
	b, err := getObject(ctx, w.conn.data, ref.SHA256)
	if err != nil {
		return "", fmt.Errorf("fetch the experiment's data (sha256 %s) from the object store %s on %s: %w", ref.SHA256, DataBucket, w.conn.URL, err)
	}
	if got := sha(b); got != ref.SHA256 {
		return "", fmt.Errorf("the object store's copy of the data has sha256 %s, want %s", got, ref.SHA256)
	}
	if err := store.WriteFile(path, b); err != nil {
		return "", fmt.Errorf("cache the data in %s: %w", w.opt.CacheDir, err)
	}
	return path, nil
}

func (w *Worker) artifacts(ctx context.Context, tok string) (jetstream.ObjectStore, error) {
	w.mu.Lock()
	a, ok := w.arts[tok]
	w.mu.Unlock()
	if ok {
		return a, nil
	}
	a, err := w.conn.JS.ObjectStore(ctx, artifactBucket(tok))
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.arts[tok] = a
	w.mu.Unlock()
	return a, nil
}

func (w *Worker) onCancel(msg *nats.Msg) {
	var c CancelMsg
	if json.Unmarshal(msg.Data, &c) != nil || c.V < 1 {
		return
	}
	tok := strings.TrimPrefix(msg.Subject, "automl.cancel.")
	w.mu.Lock()
	defer w.mu.Unlock()
	for key, cancel := range w.inflight {
		t, id, _ := strings.Cut(key, "/")
		if t == tok && (c.ID < 0 || id == strconv.Itoa(c.ID)) {
			cancel(errCancelled)
		}
	}
}

func (w *Worker) notify(tok string, id int, text string) {
	b, _ := json.Marshal(NoticeMsg{V: Version, Worker: w.opt.Name, ID: id, Message: text})
	w.conn.NC.Publish(noticeSubject(tok), b)
}

// beat refreshes the worker's heartbeat.
func (w *Worker) beat(ctx context.Context) {
	w.mu.Lock()
	h := Heartbeat{V: Version, Name: w.opt.Name, Host: w.host, Cores: runtime.NumCPU(), Concurrency: w.opt.Concurrency,
		Version: automl.Version, Done: w.done, Started: w.started, Seen: time.Now().UTC()}
	for _, c := range w.current {
		h.Current = append(h.Current, c)
	}
	w.mu.Unlock()
	slices.Sort(h.Current)
	b, _ := json.Marshal(h)
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if _, err := w.conn.workers.Put(bctx, w.opt.Name, b); err != nil {
		w.log.Debug("heartbeat", "err", err)
	}
}

// subjectTrial reads the experiment token and trial ID of a trial subject.
func subjectTrial(subject string) (string, int) {
	rest := strings.TrimPrefix(subject, "automl.trial.")
	i := strings.LastIndexByte(rest, '.')
	if i < 0 {
		return rest, -1
	}
	id, err := strconv.Atoi(rest[i+1:])
	if err != nil {
		return rest[:i], -1
	}
	return rest[:i], id
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// keySafe makes s a valid key-value key.
func keySafe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// retry calls f up to four times, a second apart, while ctx lasts: the
// server may be restarting.
func retry(ctx context.Context, f func() error) error {
	var err error
	for i := range 4 {
		if i > 0 && !sleep(ctx, time.Second) {
			break
		}
		if err = f(); err == nil || errors.Is(err, jetstream.ErrObjectNotFound) {
			return err
		}
	}
	return err
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
