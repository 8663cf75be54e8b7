package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// warnings is the search's logger for the command line: its warnings (a
// refit on every row or an ensemble the budget cut, a trial that could
// not be written) are printed as "automl: warning: ...", with the cause
// when there is one; anything below a warning is dropped.
func warnings(w io.Writer) *slog.Logger { return slog.New(&warnHandler{w: w, mu: &sync.Mutex{}}) }

type warnHandler struct {
	w     io.Writer
	mu    *sync.Mutex
	attrs []slog.Attr
}

func (h *warnHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *warnHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString("automl: warning: ")
	b.WriteString(r.Message)
	add := func(a slog.Attr) bool {
		if a.Key == "cause" || a.Key == "err" {
			fmt.Fprintf(&b, " (%v)", a.Value.Any())
		}
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *warnHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &warnHandler{w: h.w, mu: h.mu, attrs: append(append([]slog.Attr{}, h.attrs...), as...)}
}

func (h *warnHandler) WithGroup(string) slog.Handler { return h }
