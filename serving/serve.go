package serving

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// ServerOptions are the timeouts and the shutdown of Serve. Zero values
// take the defaults given.
type ServerOptions struct {
	// Notice is how long, once ctx is done, /ready answers 503 while every
	// other request is still served (each answer closing its connection),
	// so that a load balancer polling /ready stops sending before the
	// listener closes (0: none, the listener closes at once).
	Notice time.Duration
	// Drain is how long requests in flight may then run before their
	// connections are closed (0: 30 s).
	Drain time.Duration
	// ReadHeaderTimeout bounds reading a request's headers (0: 10 s);
	// ReadTimeout the whole request, body included (0: 60 s); WriteTimeout
	// the time from the end of the headers to the end of the answer
	// (0: 60 s); IdleTimeout how long a keep-alive connection waits for
	// its next request (0: 2 min).
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Serve answers HTTP requests on ln with h until ctx is done, then shuts
// down gracefully: /ready turns to 503 (when h came from New) for
// o.Notice while requests are still answered, then the listener closes and
// requests in flight get up to o.Drain to finish before their connections
// are closed. It returns nil after a clean shutdown.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, o ServerOptions) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: orDefault(o.ReadHeaderTimeout, 10*time.Second),
		ReadTimeout:       orDefault(o.ReadTimeout, 60*time.Second),
		WriteTimeout:      orDefault(o.WriteTimeout, 60*time.Second),
		IdleTimeout:       orDefault(o.IdleTimeout, 2*time.Minute),
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
	if o.Notice > 0 {
		select {
		case <-time.After(o.Notice):
		case err := <-errc:
			return fmt.Errorf("serving: %w", err)
		}
	}
	drain := orDefault(o.Drain, 30*time.Second)
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
