package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"

	"github.com/goautoml/automl/web"
)

func init() {
	register(command{"ui", "serve the web interface (experiments, uploads, live progress)", cmdUI})
}

func cmdUI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ui", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on; beyond loopback it needs --token")
	runs := fs.String("runs", "runs", "folder holding experiments")
	token := fs.String("token", "", "access token every request must carry (default $AUTOML_TOKEN)")
	maxUpload := fs.Int64("max-upload", web.DefaultMaxUpload>>20, "largest accepted upload, in MB")
	quota := fs.Int64("upload-quota", web.DefaultUploadQuota>>20, "most MB all uploads kept may take (507 beyond)")
	uploadTTL := fs.Duration("upload-ttl", web.DefaultUploadTTL, "how long an upload is kept after it was made or last started an experiment")
	workers := fs.Int("workers", 0, "trials each experiment runs at once (0 = number of cores)")
	// The finishing step's flags set what the settings form first shows
	// (--mlflow: the tracking server experiments may log to).
	var ff finishFlags
	ff.register(fs)
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if *token == "" {
		*token = os.Getenv("AUTOML_TOKEN") // not the flag's default: -h would print it
	}
	if err := web.CheckAddr(*addr, *token); err != nil {
		return usagef("%v", err)
	}
	fo, err := ff.options(*workers, nil)
	if err != nil {
		return err
	}
	if *maxUpload <= 0 || *quota <= 0 || *uploadTTL <= 0 {
		return usagef("--max-upload, --upload-quota and --upload-ttl must be positive")
	}
	s, err := web.New(web.Config{Runs: *runs, Token: *token, MaxUpload: *maxUpload << 20, UploadQuota: *quota << 20, UploadTTL: *uploadTTL, Workers: *workers,
		Finish: &fo, Logger: slog.Default()})
	if err != nil {
		return err
	}
	return s.Serve(ctx, *addr, func(a net.Addr) {
		fmt.Fprintf(stdout, "automl ui: serving %s on http://%s/ (Ctrl-C to stop)\n", *runs, a)
	})
}
