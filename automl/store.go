package automl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"

	"github.com/goautoml/automl/store"
)

// Store is one experiment's folder: experiment.json, the trial log
// trials.jsonl, and trials/<id>/ with each trial's record, predictions and
// bundle. Paths come from the embedded store.Layout (st.Layout.Trial(id),
// st.Layout.TrialLog(), …); every file is written atomically except the
// trial log, which is appended one synced line per finished trial.
//
// A Store from CreateStore or OpenWriter is the experiment's one writer: it
// holds the experiment's lock until Close, so a second process (a resume
// while the run is going, the web UI, a remote coordinator) is refused with
// a *store.BusyError naming the holder. OpenStore gives a reader.
type Store struct {
	store.Layout

	mu   sync.Mutex
	lock *store.Lock
	log  *store.Log
}

// CreateStore makes a new experiment folder dir and holds it for writing;
// it fails if dir holds an experiment already or another process holds it.
func CreateStore(dir string) (*Store, error) {
	l := store.At(dir)
	if err := os.MkdirAll(l.Trials(), 0o755); err != nil {
		return nil, err
	}
	lock, err := store.Acquire(l, store.Command())
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(l.Experiment()); err == nil {
		lock.Release()
		return nil, fmt.Errorf("%s already holds an experiment (choose another --name, or resume it)", dir)
	}
	s := &Store{Layout: l, lock: lock}
	if s.log, err = store.OpenLog(l.TrialLog(), nil); err != nil {
		lock.Release()
		return nil, err
	}
	return s, nil
}

// OpenStore opens an existing experiment folder for reading.
func OpenStore(dir string) (*Store, error) {
	l := store.At(dir)
	if _, err := os.Stat(l.Experiment()); err != nil {
		return nil, fmt.Errorf("%s is not an experiment folder (no %s)", dir, store.ExperimentFile)
	}
	return &Store{Layout: l}, nil
}

// OpenWriter opens an existing experiment folder for writing: it takes the
// experiment's lock (a *store.BusyError when another process holds it) and
// repairs the trial log (a torn last line cut off, lines put in ID order),
// reporting each repair on log.
func OpenWriter(dir string, log *slog.Logger) (*Store, error) {
	s, err := OpenStore(dir)
	if err != nil {
		return nil, err
	}
	if s.lock, err = store.Acquire(s.Layout, store.Command()); err != nil {
		return nil, err
	}
	if s.log, err = store.OpenLog(s.Layout.TrialLog(), log); err != nil {
		s.lock.Release()
		return nil, err
	}
	return s, nil
}

// WriteExperiment saves the experiment record.
func (s *Store) WriteExperiment(e *Experiment) error {
	return store.WriteJSON(s.Layout.Experiment(), e)
}

// Experiment reads the experiment record.
func (s *Store) Experiment() (*Experiment, error) {
	b, err := os.ReadFile(s.Layout.Experiment())
	if err != nil {
		return nil, err
	}
	var e Experiment
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Layout.Experiment(), err)
	}
	return &e, nil
}

// WriteTrial saves a finished trial's own record in its folder (before its
// log line, so that a kill between the two writes loses nothing).
func (s *Store) WriteTrial(t Trial) error {
	return store.WriteJSON(s.Layout.TrialRecord(t.ID), t)
}

// AppendTrial adds t to trials.jsonl, in its ID order, and syncs it. The
// store must be open for writing.
func (s *Store) AppendTrial(t Trial) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.log == nil {
		return fmt.Errorf("%s is not open for writing", s.Dir)
	}
	return s.log.Append(t.ID, b)
}

// logged tells whether trial id is in the trial log of a writing store.
func (s *Store) logged(id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log != nil && s.log.Has(id)
}

// Close closes the trial log and releases the experiment's lock.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.log.Close()
	s.log = nil
	if lerr := s.lock.Release(); err == nil {
		err = lerr
	}
	s.lock = nil
	return err
}

// Trials reads every finished trial, in ID order: the lines of trials.jsonl,
// plus trial records written to a trial folder by a run killed before it
// appended them. A torn last line (a kill mid-write) is ignored.
func (s *Store) Trials() ([]Trial, error) {
	seen := map[int]bool{}
	var out []Trial
	b, err := os.ReadFile(s.Layout.TrialLog())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var t Trial
		if err := json.Unmarshal(sc.Bytes(), &t); err != nil {
			continue
		}
		if !seen[t.ID] {
			seen[t.ID] = true
			out = append(out, t)
		}
	}
	entries, _ := os.ReadDir(s.Layout.Trials())
	for _, e := range entries {
		id, err := strconv.Atoi(e.Name())
		if err != nil || seen[id] {
			continue
		}
		b, err := os.ReadFile(s.Layout.TrialRecord(id))
		if err != nil {
			continue
		}
		var t Trial
		if json.Unmarshal(b, &t) == nil {
			seen[id] = true
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b Trial) int { return a.ID - b.ID })
	return out, nil
}

// ReadExperiment reads an experiment folder's record and its finished
// trials (in ID order), for the tools that work on a finished or running
// experiment: explanations, notebooks, exports, the web UI.
func ReadExperiment(dir string) (*Experiment, []Trial, error) {
	st, err := OpenStore(dir)
	if err != nil {
		return nil, nil, err
	}
	e, err := st.Experiment()
	if err != nil {
		return nil, nil, err
	}
	trials, err := st.Trials()
	if err != nil {
		return nil, nil, err
	}
	return e, trials, nil
}
