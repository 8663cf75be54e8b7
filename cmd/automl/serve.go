package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

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
	drain := fs.Duration("drain", 30*time.Second, "how long requests in flight may run after SIGTERM")
	verbose := fs.Bool("v", false, "log every rejected request")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if *model == "" {
		return usagef("--model is required (a trial folder, bundle folder, runs/<exp>/best or .zip)")
	}
	if *maxBody <= 0 || *maxRows <= 0 || *drain <= 0 {
		return usagef("--max-body-bytes, --max-rows and --drain must be positive")
	}
	if *token == "" {
		*token = os.Getenv("AUTOML_SERVE_TOKEN")
	}
	start := time.Now()
	m, err := serving.Load(*model)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	h := serving.New(m, serving.Options{Token: *token, MaxBodyBytes: *maxBody, MaxRows: *maxRows, Logger: log, Source: *model})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "serving %s (%s, trial %d of %s) on http://%s: POST /score, GET /swagger.json; ready in %d ms\n",
		*model, m.Family, m.TrialID, m.Experiment, ln.Addr(), time.Since(start).Milliseconds())
	if err := serving.Serve(ctx, ln, h, *drain); err != nil {
		return err
	}
	fmt.Fprintln(stderr, "stopped: requests in flight drained")
	return nil
}
