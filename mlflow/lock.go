package mlflow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"strconv"
	"time"
)

// Exports of one experiment to one server are serialised by a lock held on the server: a
// registered model named ExportLockName(...). The tracking API has no compare-and-set on tags,
// but creating a registered model whose name exists fails with RESOURCE_ALREADY_EXISTS (the
// name is the registry table's primary key), so exactly one of two exports racing from two
// machines creates it. The holder keeps the lock alive by rewriting its description (the
// server stamps last_updated_timestamp) and deletes it when done; a lock whose timestamp has
// not moved for lockStale, measured on the waiter's clock, was left by a killed export and is
// broken.

// TagLockToken is the registered-model tag naming the export that holds a lock.
const TagLockToken = "goautoml.lock_token"

var (
	lockStale     = 2 * time.Minute // a lock not refreshed this long is abandoned
	lockHeartbeat = 20 * time.Second
	lockPoll      = 250 * time.Millisecond // first wait between attempts; doubles up to 2 s
)

// ExportLockName is the registered model that locks exports of the automl experiment name into
// the MLflow experiment experimentID.
func ExportLockName(experimentID, name string) string {
	h := fnv.New64a()
	h.Write([]byte(name))
	return "goautoml-export-lock-" + experimentID + "-" + hex.EncodeToString(h.Sum(nil))
}

// serverLock is a held lock.
type serverLock struct {
	c     *Client
	name  string
	token string
	desc  string
	stop  chan struct{}
	done  chan struct{}
}

// acquireLock takes the export lock of (experimentID, name), waiting while another export
// holds it. A server without a model registry cannot lock: nil is returned with no error,
// and the caller goes on unlocked (the log says so).
func (x *Exporter) acquireLock(ctx context.Context, experimentID string) (*serverLock, error) {
	var b [8]byte
	rand.Read(b[:])
	host, _ := os.Hostname()
	l := &serverLock{c: x.c, name: ExportLockName(experimentID, x.exp.Name), token: hex.EncodeToString(b[:]),
		stop: make(chan struct{}), done: make(chan struct{})}
	l.desc = fmt.Sprintf("Lock of a running `automl export mlflow` of experiment %q (host %s, pid %d). "+
		"It is deleted when the export ends; one not refreshed for %v is abandoned and taken over.",
		x.exp.Name, host, os.Getpid(), lockStale)
	wait := lockPoll
	var seen int64 // last_updated_timestamp of the holder's lock, and when it was first seen
	var seenAt time.Time
	waited := false
	for {
		_, err := x.c.CreateRegisteredModel(ctx, l.name, l.desc, []Tag{{Key: TagLockToken, Value: l.token}})
		if err == nil {
			break
		}
		if !IsAlreadyExists(err) {
			var apiErr *APIError
			if errors.As(err, &apiErr) && (apiErr.StatusCode == 404 || apiErr.StatusCode == 501) {
				x.logger().Warn("mlflow: the server has no model registry; exports are not locked", "error", err)
				return nil, nil
			}
			return nil, fmt.Errorf("mlflow: export lock: %w", err)
		}
		m, err := x.c.GetRegisteredModel(ctx, l.name)
		if IsNotFound(err) {
			continue // released meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("mlflow: export lock: %w", err)
		}
		if tagValue(m.Tags, TagLockToken) == l.token {
			break // our create succeeded, its answer was lost
		}
		now := time.Now()
		if int64(m.LastUpdatedTimestamp) != seen {
			seen, seenAt = int64(m.LastUpdatedTimestamp), now
		} else if now.Sub(seenAt) > lockStale {
			x.logger().Warn("mlflow: breaking an abandoned export lock", "lock", l.name, "holder", tagValue(m.Tags, TagLockToken))
			if err := x.c.DeleteRegisteredModel(ctx, l.name); err != nil && !IsNotFound(err) {
				return nil, fmt.Errorf("mlflow: export lock: %w", err)
			}
			seen = 0
			continue
		}
		if !waited {
			x.logger().Info("mlflow: another export of this experiment is running; waiting for it", "lock", l.name)
			waited = true
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("mlflow: waiting for the export lock %s: %w", l.name, err)
		}
		wait = min(2*wait, 2*time.Second)
	}
	go l.keepAlive()
	return l, nil
}

func tagValue(tags []Tag, key string) string {
	for _, t := range tags {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}

// keepAlive refreshes the lock until release.
func (l *serverLock) keepAlive() {
	defer close(l.done)
	t := time.NewTicker(lockHeartbeat)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-l.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), lockHeartbeat)
			l.c.UpdateRegisteredModel(ctx, l.name, l.desc+" Refresh "+strconv.Itoa(n)+".")
			cancel()
		}
	}
}

// release stops the refresh and deletes the lock.
func (l *serverLock) release() error {
	if l == nil {
		return nil
	}
	close(l.stop)
	<-l.done
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.c.DeleteRegisteredModel(ctx, l.name); err != nil && !IsNotFound(err) {
		return fmt.Errorf("mlflow: release export lock %s: %w", l.name, err)
	}
	return nil
}
