package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/goautoml/automl/remote"
)

func cmdWorkers(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("workers", stderr)
	var n natsFlags
	fs.StringVar(&n.url, "nats", os.Getenv("NATS_URL"), "NATS server URL (or NATS_URL)")
	n.register(fs)
	jsonOut := fs.Bool("json", false, "print the heartbeats as JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if n.url == "" {
		return usagef("--nats is required (or NATS_URL)")
	}
	conn, err := remote.Dial(ctx, n.config("automl workers", nil))
	if err != nil {
		return err
	}
	defer conn.Close()
	ws, err := conn.Workers(ctx)
	if err != nil {
		return err
	}
	if *jsonOut {
		if ws == nil {
			ws = []remote.Heartbeat{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ws)
	}
	if len(ws) == 0 {
		fmt.Fprintf(stdout, "no live worker on %s (start one: automl worker --nats %s)\n", conn.URL, conn.URL)
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tHOST\tCORES\tCONCURRENCY\tDONE\tCURRENT\tUP")
	for _, w := range ws {
		cur := strings.Join(w.Current, ", ")
		if cur == "" {
			cur = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\n", w.Name, w.Host, w.Cores, w.Concurrency, w.Done, cur,
			time.Since(w.Started).Round(time.Second))
	}
	return tw.Flush()
}
