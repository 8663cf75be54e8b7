package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/serving"
)

func init() { register(command{"serve", "serve a model bundle over REST", cmdServe}) }

// cmdServe serves one model bundle until interrupted (SIGINT or SIGTERM),
// then drains the requests in flight.
func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	model := fs.String("model", "", "trial folder, bundle folder, runs/<exp>/best, or a bundle's .zip (required)")
	addr := fs.String("addr", "127.0.0.1:8081", "address to listen on")
	token := fs.String("token", "", "bearer token required by /score, /status and /metrics (default: $AUTOML_SERVE_TOKEN; empty = none)")
	maxBody := fs.Int64("max-body-bytes", serving.DefaultMaxBodyBytes, "largest request body accepted (413 beyond)")
	maxRows := fs.Int("max-rows", serving.DefaultMaxRows, "most rows accepted in one score request (413 beyond)")
	inFlight := fs.Int("max-rows-in-flight", serving.DefaultMaxRowsInFlight, "most rows being scored at once, over all requests (more wait --queue-wait, then 503 with Retry-After)")
	queueWait := fs.Duration("queue-wait", serving.DefaultQueueWait, "how long a request waits for rows in flight to free up before 503")
	memory := fs.Int64("max-memory-mb", 1024, "soft memory limit of the process in MiB (Go's GC works harder near it; 0: none)")
	notice := fs.Duration("notice", 5*time.Second, "after SIGTERM, how long /ready answers 503 while requests are still served, before the listener closes")
	drain := fs.Duration("drain", 30*time.Second, "then, how long requests in flight may run")
	readTimeout := fs.Duration("read-timeout", 60*time.Second, "longest time to read one request, body included")
	writeTimeout := fs.Duration("write-timeout", 60*time.Second, "longest time from a request's headers to the end of its answer")
	idleTimeout := fs.Duration("idle-timeout", 2*time.Minute, "how long a keep-alive connection may wait for its next request")
	verbose := fs.Bool("v", false, "log every rejected request")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if *model == "" {
		return usagef("--model is required (a trial folder, bundle folder, runs/<exp>/best or .zip)")
	}
	if *maxBody <= 0 || *maxRows <= 0 || *inFlight <= 0 || *queueWait <= 0 || *drain <= 0 ||
		*readTimeout <= 0 || *writeTimeout <= 0 || *idleTimeout <= 0 {
		return usagef("--max-body-bytes, --max-rows, --max-rows-in-flight, --queue-wait, --drain and the timeouts must be positive")
	}
	if *notice < 0 || *memory < 0 {
		return usagef("--notice and --max-memory-mb cannot be negative")
	}
	if *memory > 0 {
		debug.SetMemoryLimit(*memory << 20)
	}
	if *token == "" {
		*token = os.Getenv("AUTOML_SERVE_TOKEN")
	}
	start := time.Now()
	path, err := bundleOrRecreate(ctx, *model, stderr)
	if err != nil {
		return err
	}
	m, err := serving.Load(path)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	h := serving.New(m, serving.Options{Token: *token, MaxBodyBytes: *maxBody, MaxRows: *maxRows,
		MaxRowsInFlight: *inFlight, QueueWait: *queueWait, Logger: log, Source: *model})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "serving %s (%s, trial %d of %s) on http://%s: POST /score, GET /swagger.json; ready in %d ms\n",
		*model, m.Family, m.TrialID, m.Experiment, ln.Addr(), time.Since(start).Milliseconds())
	so := serving.ServerOptions{Notice: *notice, Drain: *drain, ReadTimeout: *readTimeout, WriteTimeout: *writeTimeout, IdleTimeout: *idleTimeout}
	if dir, err := automl.ResolveTrialDir(path); err == nil && filepath.Base(filepath.Dir(dir)) == "trials" {
		automl.Pin(dir, "served") // retention keeps a served bundle
	}
	if err := serving.Serve(ctx, ln, h, so); err != nil {
		return err
	}
	fmt.Fprintln(stderr, "stopped: requests in flight drained")
	return nil
}
