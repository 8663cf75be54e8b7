package store

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestLockOneHolder(t *testing.T) {
	l := At(t.TempDir())
	a, err := Acquire(l, "automl run")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(l, "automl resume")
	var busy *BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("second Acquire: %v, want a BusyError", err)
	}
	host, _ := os.Hostname()
	if busy.Holder.PID != os.Getpid() || busy.Holder.Host != host || busy.Holder.Command != "automl run" {
		t.Errorf("holder %+v, want this process, host %s, automl run", busy.Holder, host)
	}
	want := "experiment " + l.Dir + " is being written by PID "
	if msg := err.Error(); !strings.HasPrefix(msg, want) || !strings.HasSuffix(msg, "on host "+host+" (automl run); wait for it or stop it") {
		t.Errorf("message %q", msg)
	}
	if h, err := Holding(l); err != nil || h == nil || h.PID != os.Getpid() {
		t.Errorf("Holding while held: %+v, %v", h, err)
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	if h, err := Holding(l); err != nil || h != nil {
		t.Errorf("Holding after Release: %+v, %v", h, err)
	}
	b, err := Acquire(l, "automl resume")
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	b.Release()
}
