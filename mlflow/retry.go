package mlflow

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy bounds how the client repeats a failed call. A zero field takes the value of
// DefaultRetry; set MaxAttempts to 1 to disable retries.
//
// A call is retried on HTTP 429 and 5xx answers, connection errors and attempt timeouts. The
// wait before attempt n+1 is min(MaxDelay, BaseDelay·2^(n-1)), of which the upper half is
// jitter drawn from a generator seeded with Seed, and never less than the server's
// Retry-After. The client gives up after MaxAttempts attempts, or earlier when the next wait
// would end after MaxElapsed from the first attempt; it then returns the last error. So a call
// lasts at most MaxElapsed plus one attempt (itself bounded by AttemptTimeout).
type RetryPolicy struct {
	MaxAttempts    int           // attempts in all, the first included
	BaseDelay      time.Duration // wait after the first failure, before jitter
	MaxDelay       time.Duration // cap of the backoff (not of Retry-After)
	MaxElapsed     time.Duration // bound on the whole call, waits included
	AttemptTimeout time.Duration // bound on one attempt; 0 uses DefaultRetry's
	Seed           uint64        // seeds the jitter generator
}

// DefaultRetry is the policy used for zero fields.
var DefaultRetry = RetryPolicy{
	MaxAttempts:    6,
	BaseDelay:      250 * time.Millisecond,
	MaxDelay:       15 * time.Second,
	MaxElapsed:     2 * time.Minute,
	AttemptTimeout: 60 * time.Second,
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultRetry.MaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultRetry.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultRetry.MaxDelay
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = DefaultRetry.MaxElapsed
	}
	if p.AttemptTimeout <= 0 {
		p.AttemptTimeout = DefaultRetry.AttemptTimeout
	}
	return p
}

// backoff is the wait after the attempt-th failed attempt (attempt >= 1).
func (p RetryPolicy) backoff(attempt int, rng *rand.Rand) time.Duration {
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + time.Duration(rng.Int64N(int64(half)+1))
}

// retryableStatus reports whether an HTTP status is worth another attempt.
func retryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date (relative to now).
// It returns 0 when the header is absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > 24*3600 {
			secs = 24 * 3600
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
