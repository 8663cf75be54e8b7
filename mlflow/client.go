package mlflow

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// Client talks to one MLflow tracking server. Set the fields before the first call; a Client is
// then safe for concurrent use and must not be copied.
type Client struct {
	// BaseURL is the tracking server's root, e.g. "http://localhost:5000" (the value of
	// MLFLOW_TRACKING_URI). A path prefix is kept: "https://host/mlflow" calls
	// "https://host/mlflow/api/2.0/...".
	BaseURL string
	// HTTP sends the requests; nil uses http.DefaultClient. Per-attempt time limits come from
	// Retry.AttemptTimeout, so HTTP.Timeout can stay 0.
	HTTP *http.Client
	// Auth adds credentials to each request; nil sends none.
	Auth Auth
	// Retry bounds retries; zero fields take DefaultRetry's values.
	Retry RetryPolicy
	// Logger receives one debug line per retried attempt and warnings for truncated values;
	// nil discards.
	Logger *slog.Logger

	once sync.Once
	mu   sync.Mutex
	rng  *rand.Rand
}

// Auth adds credentials to an outgoing request.
type Auth interface {
	Authorize(req *http.Request)
}

// BearerToken authenticates with "Authorization: Bearer <token>" (MLFLOW_TRACKING_TOKEN).
type BearerToken string

// Authorize sets the Authorization header.
func (t BearerToken) Authorize(req *http.Request) {
	req.Header.Set("Authorization", "Bearer "+string(t))
}

// BasicAuth authenticates with HTTP basic auth (MLFLOW_TRACKING_USERNAME / _PASSWORD).
type BasicAuth struct{ Username, Password string }

// Authorize sets the Authorization header.
func (b BasicAuth) Authorize(req *http.Request) { req.SetBasicAuth(b.Username, b.Password) }

// NewClientFromEnv builds a client from MLflow's environment variables: MLFLOW_TRACKING_URI
// (required, http or https; user:password in the URI is taken as basic auth),
// MLFLOW_TRACKING_TOKEN (bearer, preferred when set) or MLFLOW_TRACKING_USERNAME and
// MLFLOW_TRACKING_PASSWORD (basic), and MLFLOW_TRACKING_INSECURE_TLS=true to skip certificate
// checks.
func NewClientFromEnv() (*Client, error) { return newClientFromLookup(os.LookupEnv) }

// NewClient is NewClientFromEnv with the tracking URI given (a command's --tracking-uri)
// instead of MLFLOW_TRACKING_URI; credentials and TLS settings still come from the environment.
// An empty uri falls back to MLFLOW_TRACKING_URI.
func NewClient(uri string) (*Client, error) {
	if strings.TrimSpace(uri) == "" {
		return NewClientFromEnv()
	}
	c, err := newClientFromLookup(func(k string) (string, bool) {
		if k == "MLFLOW_TRACKING_URI" {
			return uri, true
		}
		return os.LookupEnv(k)
	})
	if err != nil {
		return nil, errors.New(strings.Replace(err.Error(), "MLFLOW_TRACKING_URI", "tracking URI", 1))
	}
	return c, nil
}

func newClientFromLookup(lookup func(string) (string, bool)) (*Client, error) {
	get := func(k string) string { v, _ := lookup(k); return strings.TrimSpace(v) }
	raw := get("MLFLOW_TRACKING_URI")
	if raw == "" {
		return nil, errors.New("mlflow: MLFLOW_TRACKING_URI is not set (expected e.g. http://localhost:5000)")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("mlflow: MLFLOW_TRACKING_URI %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("mlflow: MLFLOW_TRACKING_URI %q: expected an http:// or https:// tracking server address (file stores and databricks URIs are not supported)", raw)
	}
	c := &Client{}
	if u.User != nil {
		pw, _ := u.User.Password()
		c.Auth = BasicAuth{Username: u.User.Username(), Password: pw}
		u.User = nil
	}
	c.BaseURL = strings.TrimRight(u.String(), "/")
	if tok := get("MLFLOW_TRACKING_TOKEN"); tok != "" {
		c.Auth = BearerToken(tok)
	} else if user := get("MLFLOW_TRACKING_USERNAME"); user != "" {
		pw, _ := lookup("MLFLOW_TRACKING_PASSWORD")
		c.Auth = BasicAuth{Username: user, Password: pw}
	}
	if v := strings.ToLower(get("MLFLOW_TRACKING_INSECURE_TLS")); v == "true" || v == "1" {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
		c.HTTP = &http.Client{Transport: tr}
	}
	return c, nil
}

func (c *Client) init() {
	c.once.Do(func() {
		c.rng = rand.New(rand.NewPCG(c.Retry.Seed, 0x6d6c666c6f77))
	})
}

func (c *Client) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP == nil {
		return http.DefaultClient
	}
	return c.HTTP
}

// body produces a fresh request body for each attempt.
type body struct {
	contentType string
	open        func() (io.ReadCloser, int64, error)
}

func jsonBody(v any) (*body, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("mlflow: encode request: %w", err)
	}
	return &body{contentType: "application/json", open: func() (io.ReadCloser, int64, error) {
		return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
	}}, nil
}

// callJSON sends method path (relative to BaseURL) with in as JSON body (POST) or query (GET),
// and decodes a 2xx answer into out (when out is not nil).
func (c *Client) callJSON(ctx context.Context, method, path string, query url.Values, in, out any) error {
	return c.callJSONPolicy(ctx, c.Retry, method, path, query, in, out)
}

func (c *Client) callJSONPolicy(ctx context.Context, pol RetryPolicy, method, path string, query url.Values, in, out any) error {
	var b *body
	if in != nil {
		var err error
		if b, err = jsonBody(in); err != nil {
			return err
		}
	}
	resp, err := c.call(ctx, pol, method, path, query, b)
	if err != nil {
		return err
	}
	if out == nil || len(bytes.TrimSpace(resp)) == 0 {
		return nil
	}
	if err := json.Unmarshal(resp, out); err != nil {
		return fmt.Errorf("mlflow: %s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// call runs the retry loop and returns the body of the first 2xx answer.
func (c *Client) call(ctx context.Context, pol RetryPolicy, method, path string, query url.Values, b *body) ([]byte, error) {
	c.init()
	pol = pol.withDefaults()
	log := c.logger()
	start := time.Now()
	var lastErr error
	for attempt := 1; ; attempt++ {
		out, retryAfter, retry, err := c.attempt(ctx, pol, method, path, query, b)
		if err == nil {
			return out, nil
		}
		lastErr = err
		if !retry || ctx.Err() != nil {
			return nil, err
		}
		if attempt >= pol.MaxAttempts {
			return nil, fmt.Errorf("mlflow: gave up after %d attempts: %w", attempt, lastErr)
		}
		c.mu.Lock()
		wait := pol.backoff(attempt, c.rng)
		c.mu.Unlock()
		wait = max(wait, retryAfter)
		if time.Since(start)+wait > pol.MaxElapsed {
			return nil, fmt.Errorf("mlflow: gave up after %d attempts (next wait %v would pass the %v bound): %w",
				attempt, wait.Round(time.Millisecond), pol.MaxElapsed, lastErr)
		}
		log.Debug("mlflow retry", "method", method, "path", path, "attempt", attempt, "wait", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("mlflow: %s %s: %w (last error: %v)", method, path, context.Cause(ctx), lastErr)
		case <-t.C:
		}
	}
}

// attempt sends one request. retry tells whether the failure is worth another attempt.
func (c *Client) attempt(ctx context.Context, pol RetryPolicy, method, path string, query url.Values, b *body) (out []byte, retryAfter time.Duration, retry bool, err error) {
	actx, cancel := context.WithTimeout(ctx, pol.AttemptTimeout)
	defer cancel()
	u := strings.TrimRight(c.BaseURL, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.ReadCloser
	var n int64
	if b != nil {
		if rd, n, err = b.open(); err != nil {
			return nil, 0, false, fmt.Errorf("mlflow: %s %s: %w", method, path, err)
		}
	}
	req, err := http.NewRequestWithContext(actx, method, u, rd)
	if err != nil {
		if rd != nil {
			rd.Close()
		}
		return nil, 0, false, fmt.Errorf("mlflow: %s %s: %w", method, path, err)
	}
	if b != nil {
		// An explicit length: Go would otherwise send a file body chunked, which some
		// servers accept with 200 and store as an empty file.
		req.ContentLength = n
		if n == 0 {
			req.Body = http.NoBody
		}
		req.Header.Set("Content-Type", b.contentType)
	}
	req.Header.Set("Accept", "application/json")
	if c.Auth != nil {
		c.Auth.Authorize(req)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, false, fmt.Errorf("mlflow: %s %s: %w", method, path, context.Cause(ctx))
		}
		return nil, 0, retryableTransportError(err), fmt.Errorf("mlflow: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, false, fmt.Errorf("mlflow: %s %s: %w", method, path, context.Cause(ctx))
		}
		return nil, 0, true, fmt.Errorf("mlflow: %s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode/100 == 2 {
		return data, 0, false, nil
	}
	apiErr := newAPIError(method, path, resp.StatusCode, data)
	apiErr.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	return nil, apiErr.RetryAfter, retryableStatus(resp.StatusCode), apiErr
}

// retryableTransportError tells connection failures and timeouts (worth retrying) from
// certificate and request-construction errors (not).
func retryableTransportError(err error) bool {
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &certErr) {
		return false
	}
	var uerr *url.Error
	if errors.As(err, &uerr) && strings.Contains(uerr.Err.Error(), "unsupported protocol scheme") {
		return false
	}
	return true
}
