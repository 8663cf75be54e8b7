package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/remote"
)

// natsFlags are the NATS server and credentials of the commands that talk
// to workers (run, demo and resume with --executor, worker, workers). Unset
// credentials come from NATS_USER, NATS_PASSWORD, NATS_TOKEN and NATS_CREDS,
// as with the NATS tools.
type natsFlags struct {
	url                          string
	user, password, token, creds string
}

func (n *natsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&n.user, "nats-user", "", "NATS user (or NATS_USER; a URL may also hold user:password@)")
	fs.StringVar(&n.password, "nats-password", "", "NATS password (or NATS_PASSWORD)")
	fs.StringVar(&n.token, "nats-token", "", "NATS token (or NATS_TOKEN)")
	fs.StringVar(&n.creds, "nats-creds", "", "NATS creds file (or NATS_CREDS)")
}

func (n *natsFlags) config(name string, log *slog.Logger) remote.Config {
	return remote.Config{URL: n.url, User: n.user, Password: n.password, Token: n.token, Creds: n.creds, Name: name, Logger: log}
}

// executorFlags choose where a search's trials run: "local" (this process)
// or a NATS server whose workers run them.
type executorFlags struct {
	natsFlags
	executor string
	slots    int
}

func (e *executorFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&e.executor, "executor", "local", "where trials run: local, or nats://HOST:4222 for the workers of a NATS JetStream server (see automl worker)")
	e.natsFlags.register(fs)
}

// remote reports whether trials run on workers, checking the flag's value.
func (e *executorFlags) remote() (bool, error) {
	switch {
	case e.executor == "" || e.executor == "local":
		return false, nil
	case strings.HasPrefix(e.executor, "nats://") || strings.HasPrefix(e.executor, "tls://"):
		return true, nil
	}
	return false, usagef("--executor %q: expected local or a nats:// URL", e.executor)
}

// attach sets opt.Executor to the NATS executor for experiment e when the
// flags ask for one; the returned function closes it.
func (e *executorFlags) attach(ctx context.Context, opt *automl.Options, exp *automl.Experiment, workersSet bool, stderr io.Writer) (func(), error) {
	if ok, err := e.remote(); !ok || err != nil {
		return func() {}, err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	e.url = e.executor
	conn, err := remote.Dial(ctx, e.config("automl run "+exp.Name, log))
	if err != nil {
		return nil, err
	}
	slots := 0
	if workersSet {
		slots = exp.Config.Workers
	}
	x, err := remote.NewExecutor(ctx, conn, exp, remote.ExecutorOptions{Slots: slots, Logger: log})
	if err != nil {
		conn.Close()
		return nil, err
	}
	opt.Executor = x
	return func() {
		if err := x.Close(); err != nil {
			fmt.Fprintf(stderr, "automl: clean up %s on %s: %v\n", exp.Name, conn.URL, err)
		}
		conn.Close()
	}, nil
}
