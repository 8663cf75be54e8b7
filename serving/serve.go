package serving

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Serve answers HTTP requests on ln with h until ctx is done, then shuts
// down gracefully: /ready turns to 503 (when h came from New), the listener
// closes, and requests in flight get up to drain to finish (0: 30 s) before
// their connections are closed. It returns nil after a clean shutdown.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, drain time.Duration) error {
	if drain <= 0 {
		drain = 30 * time.Second
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	if sh, ok := h.(*handler); ok {
		sh.draining.Store(true)
	}
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && serr != nil {
		return fmt.Errorf("serving: %w", serr)
	}
	if err != nil {
		srv.Close()
		return fmt.Errorf("serving: shutdown: requests still running after %v: %w", drain, err)
	}
	return nil
}
