// Package natstest starts an embedded NATS server for tests, in the style
// of net/http/httptest: the real server (with JetStream, on loopback, its
// file store in a temporary folder), stopped when the test ends.
package natstest

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Options configure the server. The zero value is a JetStream server with
// no authentication on a free loopback port.
type Options struct {
	NoJetStream bool
	User        string
	Password    string
	Token       string
}

// Server is a running embedded NATS server.
type Server struct {
	t    testing.TB
	opts *server.Options
	srv  *server.Server
	// URL is the client URL (nats://127.0.0.1:port), without credentials.
	URL string
}

// Start starts a server and registers its shutdown with t.Cleanup.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	port := freePort(t)
	opts := &server.Options{
		Host: "127.0.0.1", Port: port, NoLog: true, NoSigs: true,
		JetStream: !o.NoJetStream, StoreDir: t.TempDir(),
		Username: o.User, Password: o.Password, Authorization: o.Token,
		MaxPayload: 8 << 20,
	}
	s := &Server{t: t, opts: opts, URL: fmt.Sprintf("nats://127.0.0.1:%d", port)}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start() {
	s.t.Helper()
	srv, err := server.NewServer(s.opts)
	if err != nil {
		s.t.Fatalf("nats server: %v", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		s.t.Fatal("nats server not ready after 10 s")
	}
	s.srv = srv
}

// Stop shuts the server down (its file store stays for Restart).
func (s *Server) Stop() {
	if s.srv != nil {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
		s.srv = nil
	}
}

// Restart stops the server, waits down, and starts it again on the same
// port and file store.
func (s *Server) Restart(down time.Duration) {
	s.t.Helper()
	s.Stop()
	time.Sleep(down)
	s.start()
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
