package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/goautoml/automl/automl"
)

// ExecutorOptions configure an Executor.
type ExecutorOptions struct {
	// Slots is how many trials are kept in flight (queued or running); 0
	// means the total concurrency of the workers alive when the run starts,
	// and 2 when none is.
	Slots  int
	Logger *slog.Logger
}

// Executor is the coordinator's side: an automl.Executor that runs each
// trial on whichever worker pulls it. Create it with NewExecutor once the
// experiment record exists, pass it in automl.Options.Executor, and Close
// it when the run returns.
type Executor struct {
	conn  *Conn
	exp   string
	tok   string
	base  TrialMsg
	arts  jetstream.ObjectStore
	slots int
	nonce string
	log   *slog.Logger

	mu        sync.Mutex
	waiting   map[int]*call
	early     map[int]ResultMsg // results that came before their trial was asked for
	delivered map[int]bool
	seqs      map[uint64]int // trial message stream sequence → trial ID
	notices   map[int]string
	latency   []time.Duration // dispatch: published → received by a worker
	consume   jetstream.ConsumeContext
	subs      []*nats.Subscription
}

type call struct {
	spec automl.TrialSpec
	key  []byte // spec as JSON
	sent time.Time
	ch   chan ResultMsg
}

// NewExecutor prepares the run of experiment e on conn's workers: it uploads
// the data file (once per sha256), creates the experiment's artifact bucket,
// drops trial messages a previous coordinator of the experiment left
// queued, and starts collecting results, including those that finished
// while no coordinator was listening.
func NewExecutor(ctx context.Context, conn *Conn, e *automl.Experiment, opt ExecutorOptions) (*Executor, error) {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tok := Token(e.Name)
	x := &Executor{
		conn: conn, exp: e.Name, tok: tok, slots: opt.Slots, log: log,
		nonce:   strconv.FormatInt(time.Now().UnixNano(), 36),
		waiting: map[int]*call{}, early: map[int]ResultMsg{}, delivered: map[int]bool{},
		seqs: map[uint64]int{}, notices: map[int]string{},
	}
	ref, err := x.upload(ctx, e)
	if err != nil {
		return nil, err
	}
	cfg := e.Config
	cfg.Data = filepath.Base(e.Config.Data)
	x.base = TrialMsg{V: Version, Experiment: e.Name, Token: tok, Config: cfg, Data: ref, Prepared: fingerprint(e)}
	if x.arts, err = conn.JS.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket: artifactBucket(tok), Description: "automl: artifacts of experiment " + e.Name,
		Storage: jetstream.FileStorage, TTL: 7 * 24 * time.Hour,
	}); err != nil {
		return nil, fmt.Errorf("NATS server %s: object store %s: %w", conn.URL, artifactBucket(tok), err)
	}
	if err := conn.trials.Purge(ctx, jetstream.WithPurgeSubject("automl.trial."+tok+".>")); err != nil {
		return nil, fmt.Errorf("NATS server %s: purge stale trials of %s: %w", conn.URL, e.Name, err)
	}
	for subj, h := range map[string]nats.MsgHandler{noticeSubject(tok): x.onNotice, maxDeliveriesSubject: x.onMaxDeliveries} {
		sub, err := conn.NC.Subscribe(subj, h)
		if err != nil {
			x.Close()
			return nil, err
		}
		x.subs = append(x.subs, sub)
	}
	cons, err := conn.JS.OrderedConsumer(ctx, ResultStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{resultSubject(tok)}, DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		x.Close()
		return nil, fmt.Errorf("NATS server %s: results of %s: %w", conn.URL, e.Name, err)
	}
	if x.consume, err = cons.Consume(x.onResult); err != nil {
		x.Close()
		return nil, fmt.Errorf("NATS server %s: results of %s: %w", conn.URL, e.Name, err)
	}
	if x.slots <= 0 {
		ws, err := conn.Workers(ctx)
		if err != nil {
			log.Warn("could not list the workers", "err", err)
		}
		for _, w := range ws {
			x.slots += w.Concurrency
		}
		if x.slots == 0 {
			log.Warn("no worker is alive yet: trials wait in the queue until one starts (automl worker --nats URL)", "server", conn.URL)
			x.slots = 2
		}
	}
	return x, nil
}

// upload puts the experiment's data file in the object store, unless an
// object of that sha256 is there already.
func (x *Executor) upload(ctx context.Context, e *automl.Experiment) (DataRef, error) {
	ref := DataRef{SHA256: e.Data.SHA256, Ext: filepath.Ext(e.Config.Data)}
	if info, err := x.conn.data.GetInfo(ctx, ref.SHA256); err == nil && !info.Deleted {
		ref.Size = int64(info.Size)
		return ref, nil
	}
	b, err := os.ReadFile(e.Config.Data)
	if err != nil {
		return ref, fmt.Errorf("read the data to upload: %w", err)
	}
	if got := sha(b); got != ref.SHA256 {
		return ref, fmt.Errorf("%s changed since the experiment started (sha256 %s, now %s)", e.Config.Data, ref.SHA256, got)
	}
	if _, err := x.conn.data.PutBytes(ctx, ref.SHA256, b); err != nil {
		return ref, fmt.Errorf("upload the data to the object store %s on %s: %w", DataBucket, x.conn.URL, err)
	}
	ref.Size = int64(len(b))
	x.log.Info("data uploaded", "sha256", ref.SHA256, "bytes", len(b))
	return ref, nil
}

// Slots implements automl.Executor.
func (x *Executor) Slots() int { return x.slots }

// Run implements automl.Executor: it publishes the trial and waits for its
// result. When ctx ends first, the trial is withdrawn from the queue and the
// workers are told to stop it.
func (x *Executor) Run(ctx context.Context, spec automl.TrialSpec) (automl.Outcome, error) {
	key, err := json.Marshal(spec)
	if err != nil {
		return automl.Outcome{}, err
	}
	c := &call{spec: spec, key: key, ch: make(chan ResultMsg, 1)}
	x.mu.Lock()
	if r, ok := x.early[spec.ID]; ok && sameSpec(r, key) {
		delete(x.early, spec.ID)
		x.delivered[spec.ID] = true
		x.mu.Unlock()
		return x.outcome(ctx, r)
	}
	x.waiting[spec.ID] = c
	x.mu.Unlock()
	defer func() {
		x.mu.Lock()
		if x.waiting[spec.ID] == c {
			delete(x.waiting, spec.ID)
		}
		x.mu.Unlock()
	}()

	m := x.base
	m.Spec = spec
	c.sent = time.Now().UTC()
	m.Sent = c.sent
	b, err := json.Marshal(m)
	if err != nil {
		return automl.Outcome{}, err
	}
	// Deduplicated by experiment, trial and coordinator run: a publish
	// retried after a lost reply is stored once.
	msgID := x.tok + "." + strconv.Itoa(spec.ID) + "." + x.nonce
	for {
		ack, err := x.conn.JS.PublishMsg(ctx, &nats.Msg{Subject: trialSubject(x.tok, spec.ID), Data: b}, jetstream.WithMsgID(msgID))
		if err == nil {
			x.mu.Lock()
			x.seqs[ack.Sequence] = spec.ID
			x.mu.Unlock()
			break
		}
		if ctx.Err() != nil {
			return automl.Outcome{Trial: automl.Trial{TrialSpec: spec}}, context.Cause(ctx)
		}
		x.log.Warn("publish trial; retrying", "trial", spec.ID, "err", err)
		sleep(ctx, 250*time.Millisecond)
	}
	select {
	case r := <-c.ch:
		return x.outcome(ctx, r)
	case <-ctx.Done():
		x.withdraw(spec.ID)
		return automl.Outcome{Trial: automl.Trial{TrialSpec: spec}}, context.Cause(ctx)
	}
}

// withdraw removes trial id from the queue and cancels it on the worker
// running it. It is called after the budget ended, so it takes at most a
// second.
func (x *Executor) withdraw(id int) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	b, _ := json.Marshal(CancelMsg{V: Version, Experiment: x.exp, ID: id})
	x.conn.NC.Publish(cancelSubject(x.tok), b)
	if err := x.conn.trials.Purge(ctx, jetstream.WithPurgeSubject(trialSubject(x.tok, id))); err != nil {
		x.log.Debug("withdraw trial", "trial", id, "err", err)
	}
}

// outcome turns a result into the trial's outcome: the record, and the
// predictions and bundle fetched from the object store (here, off the
// search's commit path, so a slow fetch never holds up the commits).
func (x *Executor) outcome(ctx context.Context, r ResultMsg) (automl.Outcome, error) {
	t := r.Trial
	t.Worker = r.Worker
	o := automl.Outcome{Trial: t}
	if t.Status != "ok" {
		return o, nil
	}
	fetch := func(name, what string) ([]byte, error) {
		b, err := getObject(ctx, x.arts, name)
		if err != nil && ctx.Err() == nil {
			o.Trial.Status, o.Trial.Error = "failed", fmt.Sprintf("fetch the %s of trial %d from the object store %s: %v", what, t.ID, artifactBucket(x.tok), err)
		}
		return b, err
	}
	if r.Predictions != "" {
		b, err := fetch(r.Predictions, "predictions")
		if err == nil {
			if o.Predictions, err = decodePredictions(b); err != nil {
				o.Trial.Status, o.Trial.Error = "failed", fmt.Sprintf("trial %d: %v", t.ID, err)
				return o, nil
			}
		}
		if err != nil {
			return o, ctxErr(ctx)
		}
	}
	if r.Bundle != "" {
		tarball, err := fetch(r.Bundle, "bundle")
		if err != nil {
			o.Predictions = nil
			return o, ctxErr(ctx)
		}
		o.Bundle = bundleFunc(func(dir string) error { return unpackDir(tarball, dir) })
	}
	return o, nil
}

// ctxErr is ctx's cause once it has ended, else nil.
func ctxErr(ctx context.Context) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

// getObject reads an object, each attempt bounded (a request made as the
// server restarts may get no reply), retrying while ctx lasts.
func getObject(ctx context.Context, obs jetstream.ObjectStore, name string) ([]byte, error) {
	var b []byte
	err := retry(ctx, func() error {
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		var err error
		b, err = obs.GetBytes(actx, name)
		return err
	})
	return b, err
}

// putObject writes an object as getObject reads one.
func putObject(ctx context.Context, obs jetstream.ObjectStore, name string, data []byte) error {
	return retry(ctx, func() error {
		actx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_, err := obs.PutBytes(actx, name, data)
		return err
	})
}

func (x *Executor) onResult(msg jetstream.Msg) {
	var vo versionOf
	if err := json.Unmarshal(msg.Data(), &vo); err != nil || vo.V < 1 {
		x.log.Warn("not a result message: ignored", "subject", msg.Subject())
		return
	}
	if vo.V > Version {
		x.log.Error(fmt.Sprintf("a worker answered with protocol %d, this coordinator speaks %d: upgrade the coordinator", vo.V, Version))
		return
	}
	var r ResultMsg
	if err := json.Unmarshal(msg.Data(), &r); err != nil {
		x.log.Warn("malformed result: ignored", "err", err)
		return
	}
	id := r.Trial.ID
	x.log.Debug("result", "trial", id, "worker", r.Worker)
	x.mu.Lock()
	defer x.mu.Unlock()
	switch c, ok := x.waiting[id]; {
	case x.delivered[id]:
		x.log.Debug("duplicate result ignored", "trial", id, "worker", r.Worker)
	case ok && sameSpec(r, c.key):
		x.delivered[id] = true
		delete(x.waiting, id)
		if !r.Received.IsZero() {
			x.latency = append(x.latency, r.Received.Sub(c.sent))
		}
		c.ch <- r
	case ok:
		x.log.Debug("result of another spec of the trial ignored", "trial", id)
	default:
		if _, seen := x.early[id]; !seen {
			x.early[id] = r
		}
	}
}

func (x *Executor) onNotice(msg *nats.Msg) {
	var n NoticeMsg
	if json.Unmarshal(msg.Data, &n) != nil {
		return
	}
	x.log.Error("a worker refused a trial", "worker", n.Worker, "trial", n.ID, "reason", n.Message)
	x.mu.Lock()
	x.notices[n.ID] = n.Message
	x.mu.Unlock()
}

// onMaxDeliveries records as failed a trial whose message was delivered
// MaxDeliver times without a result: the workers running it died, or every
// worker refused it.
func (x *Executor) onMaxDeliveries(msg *nats.Msg) {
	var a struct {
		StreamSeq  uint64 `json:"stream_seq"`
		Deliveries int    `json:"deliveries"`
	}
	if json.Unmarshal(msg.Data, &a) != nil {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	id, ok := x.seqs[a.StreamSeq]
	c, waiting := x.waiting[id]
	if !ok || !waiting {
		return
	}
	why := "each worker that took it died or stopped before finishing"
	if n := x.notices[id]; n != "" {
		why = n
	}
	t := automl.Trial{TrialSpec: c.spec, Status: "failed", Timing: automl.Timing{Started: time.Now().UTC()},
		Error: fmt.Sprintf("trial %d was delivered %d times without a result: %s", id, a.Deliveries, why)}
	x.delivered[id] = true
	delete(x.waiting, id)
	c.ch <- ResultMsg{V: Version, Trial: t}
}

// Latency is the dispatch latency of each trial so far: from the
// coordinator's publish to a worker's receipt.
func (x *Executor) Latency() []time.Duration {
	x.mu.Lock()
	defer x.mu.Unlock()
	return slices.Clone(x.latency)
}

// Close stops collecting results, withdraws the experiment's trials still
// queued or running, and deletes its results and artifacts from the server
// (the experiment folder has them now).
func (x *Executor) Close() error {
	if x.consume != nil {
		x.consume.Stop()
	}
	for _, s := range x.subs {
		s.Unsubscribe()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, _ := json.Marshal(CancelMsg{V: Version, Experiment: x.exp, ID: -1})
	x.conn.NC.Publish(cancelSubject(x.tok), b)
	var errs []error
	errs = append(errs, x.conn.trials.Purge(ctx, jetstream.WithPurgeSubject("automl.trial."+x.tok+".>")))
	errs = append(errs, x.conn.results.Purge(ctx, jetstream.WithPurgeSubject(resultSubject(x.tok))))
	if x.arts != nil {
		if err := x.conn.JS.DeleteObjectStore(ctx, artifactBucket(x.tok)); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func sameSpec(r ResultMsg, key []byte) bool {
	b, err := json.Marshal(r.Trial.TrialSpec)
	return err == nil && string(b) == string(key)
}
