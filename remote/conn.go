package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config is how to reach a NATS server, with the credentials the NATS tools
// take: user and password (also in the URL, nats://user:pass@host:4222), a
// token, or a creds file. Empty fields are read from the environment
// (NATS_URL, NATS_USER, NATS_PASSWORD, NATS_TOKEN, NATS_CREDS).
type Config struct {
	URL      string
	User     string
	Password string
	Token    string
	Creds    string
	// Name is the connection's name, shown by the server's monitoring.
	Name string
	// Logger receives reconnection notices; nil discards them.
	Logger *slog.Logger
}

// FromEnv fills c's empty fields from the NATS tools' environment variables.
func (c Config) FromEnv() Config {
	set := func(v *string, env string) {
		if *v == "" {
			*v = os.Getenv(env)
		}
	}
	set(&c.URL, "NATS_URL")
	set(&c.User, "NATS_USER")
	set(&c.Password, "NATS_PASSWORD")
	set(&c.Token, "NATS_TOKEN")
	set(&c.Creds, "NATS_CREDS")
	return c
}

// Conn is a connection to a NATS server with JetStream, and the streams and
// buckets every experiment shares.
type Conn struct {
	NC  *nats.Conn
	JS  jetstream.JetStream
	URL string // without credentials, for messages

	trials  jetstream.Stream
	results jetstream.Stream
	data    jetstream.ObjectStore
	workers jetstream.KeyValue
}

// ErrNoJetStream is returned by Dial when the server runs without JetStream.
var ErrNoJetStream = errors.New("JetStream is not enabled")

// Dial connects to the server in c and makes sure the streams and buckets
// exist. Each misconfiguration gets one error saying what to fix: a server
// that cannot be reached, refused credentials, JetStream not enabled.
func Dial(ctx context.Context, c Config) (*Conn, error) {
	c = c.FromEnv()
	if c.URL == "" {
		return nil, errors.New("no NATS server given (a nats:// URL, or NATS_URL)")
	}
	shown := redact(c.URL)
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := []nats.Option{
		nats.Name(c.Name), nats.Timeout(5 * time.Second),
		nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("lost the NATS server; reconnecting", "server", shown, "err", err)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { log.Info("reconnected to the NATS server", "server", shown) }),
	}
	switch {
	case c.Creds != "":
		if _, err := os.Stat(c.Creds); err != nil {
			return nil, fmt.Errorf("NATS creds file: %w", err)
		}
		opts = append(opts, nats.UserCredentials(c.Creds))
	case c.Token != "":
		opts = append(opts, nats.Token(c.Token))
	case c.User != "":
		opts = append(opts, nats.UserInfo(c.User, c.Password))
	}
	nc, err := nats.Connect(c.URL, opts...)
	switch {
	case errors.Is(err, nats.ErrAuthorization) || err != nil && strings.Contains(strings.ToLower(err.Error()), "authorization"):
		return nil, fmt.Errorf("NATS server %s refused the credentials (check the user and password, token or creds file): %w", shown, err)
	case err != nil:
		return nil, fmt.Errorf("cannot reach the NATS server %s (is nats-server running there?): %w", shown, err)
	}
	conn := &Conn{NC: nc, URL: shown}
	if err := conn.setup(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	return conn, nil
}

func (c *Conn) setup(ctx context.Context) error {
	js, err := jetstream.New(c.NC)
	if err != nil {
		return err
	}
	c.JS = js
	actx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := js.AccountInfo(actx); err != nil {
		if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) ||
			errors.Is(err, nats.ErrNoResponders) || errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("NATS server %s: %w (start it with nats-server -js, or enable JetStream for this account)", c.URL, ErrNoJetStream)
		}
		return fmt.Errorf("NATS server %s: JetStream: %w", c.URL, err)
	}
	if c.trials, err = ensureStream(ctx, js, jetstream.StreamConfig{
		Name: TrialStream, Description: "automl: trials waiting for a worker",
		Subjects: []string{trialSubjects}, Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage,
		Duplicates: 2 * time.Minute,
	}); err != nil {
		return fmt.Errorf("NATS server %s: stream %s: %w", c.URL, TrialStream, err)
	}
	if c.results, err = ensureStream(ctx, js, jetstream.StreamConfig{
		Name: ResultStream, Description: "automl: finished trials",
		Subjects: []string{resultSubjects}, Retention: jetstream.LimitsPolicy, Storage: jetstream.FileStorage,
		MaxAge: 7 * 24 * time.Hour, Duplicates: 2 * time.Minute,
	}); err != nil {
		return fmt.Errorf("NATS server %s: stream %s: %w", c.URL, ResultStream, err)
	}
	if c.data, err = js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket: DataBucket, Description: "automl: experiment data by sha256", Storage: jetstream.FileStorage,
	}); err != nil {
		return fmt.Errorf("NATS server %s: object store %s: %w", c.URL, DataBucket, err)
	}
	if c.workers, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: WorkersBucket, Description: "automl: live workers", TTL: heartbeatTTL, Storage: jetstream.FileStorage,
	}); err != nil {
		return fmt.Errorf("NATS server %s: key-value bucket %s: %w", c.URL, WorkersBucket, err)
	}
	return nil
}

// Close closes the connection.
func (c *Conn) Close() { c.NC.Close() }

// heartbeatTTL is how long a worker's heartbeat outlives its last refresh.
const heartbeatTTL = 15 * time.Second

// heartbeatEvery is how often a worker refreshes its heartbeat.
const heartbeatEvery = 4 * time.Second

// Workers lists the live workers (those whose heartbeat has not expired),
// by name.
func (c *Conn) Workers(ctx context.Context) ([]Heartbeat, error) {
	keys, err := c.workers.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	var out []Heartbeat
	for k := range keys.Keys() {
		e, err := c.workers.Get(ctx, k)
		if err != nil {
			continue // expired between the listing and the read
		}
		var h Heartbeat
		if json.Unmarshal(e.Value(), &h) == nil && time.Since(h.Seen) < heartbeatTTL {
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(a, b Heartbeat) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// redact drops the password from a URL, for messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = url.User(u.User.Username())
	return u.String()
}

// ensureStream returns the stream cfg names, creating it, or updating it
// only when its settings differ: every connection used to update it, and
// an update racing a worker's consumer creation is a data race inside the
// NATS server (fileStore.UpdateConfig against ConsumerStore, v2.15.2).
func ensureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	if st, err := js.Stream(ctx, cfg.Name); err == nil {
		have := st.CachedInfo().Config
		if have.Description == cfg.Description && slices.Equal(have.Subjects, cfg.Subjects) && have.Retention == cfg.Retention &&
			have.Storage == cfg.Storage && have.MaxAge == cfg.MaxAge && have.Duplicates == cfg.Duplicates {
			return st, nil
		}
	}
	return js.CreateOrUpdateStream(ctx, cfg)
}
