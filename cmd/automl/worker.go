package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/goautoml/automl/remote"
)

func init() {
	register(command{"worker", "run trials sent through a NATS JetStream server (automl run --executor nats://...)", cmdWorker})
	register(command{"workers", "list the live workers of a NATS server", cmdWorkers})
}

func cmdWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("worker", stderr)
	var n natsFlags
	var opt remote.WorkerOptions
	fs.StringVar(&n.url, "nats", os.Getenv("NATS_URL"), "NATS server URL (or NATS_URL), e.g. nats://host:4222")
	n.register(fs)
	fs.IntVar(&opt.Concurrency, "concurrency", 0, "trials run at once, one core each (0 = number of cores)")
	fs.StringVar(&opt.CacheDir, "cache", "", "folder caching the experiments' data by sha256 (default: the user cache folder, automl/data)")
	fs.StringVar(&opt.Name, "name", "", "the worker's name in heartbeats and trial records (default: host-pid)")
	fs.DurationVar(&opt.AckWait, "ack-wait", 30*time.Second, "how long a trial of a worker gone silent waits before another worker gets it")
	fs.DurationVar(&opt.Grace, "grace", 10*time.Second, "on SIGTERM, how long trials in flight may finish before they are handed back")
	verbose := fs.Bool("v", false, "log every message, not only trials")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if n.url == "" {
		return usagef("--nats is required (or NATS_URL)")
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	opt.Logger = log
	conn, err := remote.Dial(ctx, n.config("automl worker", log))
	if err != nil {
		return err
	}
	defer conn.Close()
	w, err := remote.NewWorker(conn, opt)
	if err != nil {
		return err
	}
	return w.Run(ctx)
}
