package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestUICommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"ui", "--addr", "0.0.0.0:0"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "--token") {
		t.Errorf("ui beyond loopback without a token: exit %d, %q", code, errb.String())
	}
	t.Setenv("AUTOML_TOKEN", "from-env")
	errb.Reset()
	if code := run(context.Background(), []string{"ui", "-h"}, &out, &errb); code != 0 || strings.Contains(errb.String(), "from-env") {
		t.Errorf("ui -h: exit %d, shows the token: %q", code, errb.String())
	}
	// With the token from the environment, any address is allowed.
	ctx0, cancel0 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel0()
	if code := run(ctx0, []string{"ui", "--addr", "0.0.0.0:0", "--runs", t.TempDir()}, &out, &errb); code != 0 {
		t.Errorf("ui with AUTOML_TOKEN on 0.0.0.0: exit %d, %s", code, errb.String())
	}
	t.Setenv("AUTOML_TOKEN", "")
	errb.Reset()
	if code := run(context.Background(), []string{"ui", "--max-upload", "-1"}, &out, &errb); code != 2 {
		t.Errorf("negative upload limit: exit %d, %q", code, errb.String())
	}
	// Serves on a free loopback port until the context ends.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	out.Reset()
	errb.Reset()
	if code := run(ctx, []string{"ui", "--addr", "127.0.0.1:0", "--runs", t.TempDir()}, &out, &errb); code != 0 {
		t.Errorf("ui: exit %d, %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "http://127.0.0.1:") {
		t.Errorf("ui did not say where it listens: %q", out.String())
	}
}
