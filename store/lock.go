package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Holder is the process writing an experiment, as its lock file says.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Command string    `json:"command"` // e.g. "automl run"
	Since   time.Time `json:"since"`
}

// BusyError is returned when another process holds an experiment's lock.
type BusyError struct {
	Dir    string // the experiment folder, as the caller named it
	Holder Holder // zero when the holder had not written its details yet
}

func (e *BusyError) Error() string {
	h := e.Holder
	if h.PID == 0 {
		return fmt.Sprintf("experiment %s is being written by another process; wait for it or stop it", e.Dir)
	}
	return fmt.Sprintf("experiment %s is being written by PID %d on host %s (%s); wait for it or stop it", e.Dir, h.PID, h.Host, h.Command)
}

// Lock is an experiment folder held by this process: while it is held, no
// other process (nor another Lock of this one) can take it. The operating
// system releases it when the process ends, however it ends, so a killed
// run never leaves a stale lock behind.
type Lock struct {
	f *os.File
}

// Acquire takes the lock of the experiment folder l.Dir (which must exist)
// for the given command, or returns a *BusyError naming the process that
// holds it. The lock file keeps the holder's PID, host and command for
// that message.
func Acquire(l Layout, command string) (*Lock, error) {
	f, err := os.OpenFile(l.Lock(), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	// The lock may be held for a moment only (by a Holding probe, or by a
	// holder that has not written its details yet): try a few times over
	// 40 ms before reporting the holder.
	for try := 0; ; try++ {
		err = lockFile(f, true)
		if err == nil {
			break
		}
		if !errors.Is(err, errLocked) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", l.Dir, err)
		}
		if try == 4 {
			f.Close()
			return nil, &BusyError{Dir: l.Dir, Holder: readHolder(l)}
		}
		time.Sleep(10 * time.Millisecond)
	}
	host, _ := os.Hostname()
	h := Holder{PID: os.Getpid(), Host: host, Command: command, Since: time.Now().UTC().Truncate(time.Second)}
	b, _ := json.Marshal(h)
	// The holder's details are written into the locked file itself (a
	// rename would put them in another file than the one locked).
	if err := f.Truncate(0); err == nil {
		f.WriteAt(append(b, '\n'), 0)
	}
	return &Lock{f: f}, nil
}

func readHolder(l Layout) Holder {
	var h Holder
	if b, err := os.ReadFile(l.Lock()); err == nil {
		json.Unmarshal(b, &h)
	}
	return h
}

// Holding reports the process that holds the experiment folder l.Dir, or
// nil when none does (a run that was killed holds nothing). Readers such as
// the web UI use it to tell a search running in another process from an
// interrupted one.
func Holding(l Layout) (*Holder, error) {
	f, err := os.Open(l.Lock())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	switch err := lockFile(f, false); {
	case errors.Is(err, errLocked):
		h := readHolder(l)
		return &h, nil
	case err != nil:
		return nil, err
	}
	return nil, unlockFile(f)
}

// Release gives the lock up. The file stays (emptied): removing it could let
// two later processes lock two different files of the same name.
func (k *Lock) Release() error {
	if k == nil || k.f == nil {
		return nil
	}
	k.f.Truncate(0)
	err := unlockFile(k.f)
	if cerr := k.f.Close(); err == nil {
		err = cerr
	}
	k.f = nil
	return err
}

// Command is how this process names itself in a lock: the program's name
// and its subcommand ("automl run", "automl ui").
func Command() string {
	if len(os.Args) == 0 {
		return "unknown"
	}
	parts := []string{filepath.Base(os.Args[0])}
	for _, a := range os.Args[1:] {
		if !strings.HasPrefix(a, "-") {
			parts = append(parts, a)
			break
		}
	}
	return strings.Join(parts, " ")
}
