package automl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
)

// Store is one experiment's folder: experiment.json, the append-only
// trials.jsonl, and trials/<id>/ with each trial's record and bundle.
// Every file is written atomically (temporary file, then rename) except
// trials.jsonl, which is appended one fsynced line per finished trial.
type Store struct {
	Dir string

	mu  sync.Mutex
	log *os.File
}

// Files inside an experiment folder.
const (
	ExperimentFile = "experiment.json"
	TrialsFile     = "trials.jsonl"
	TrialsDir      = "trials"
	TrialFile      = "trial.json"
	BundleFile     = "model.json"
)

// CreateStore makes a new experiment folder dir; it fails if dir holds an experiment already.
func CreateStore(dir string) (*Store, error) {
	if _, err := os.Stat(filepath.Join(dir, ExperimentFile)); err == nil {
		return nil, fmt.Errorf("%s already holds an experiment (choose another --name, or resume it)", dir)
	}
	if err := os.MkdirAll(filepath.Join(dir, TrialsDir), 0o755); err != nil {
		return nil, err
	}
	return &Store{Dir: dir}, nil
}

// OpenStore opens an existing experiment folder.
func OpenStore(dir string) (*Store, error) {
	if _, err := os.Stat(filepath.Join(dir, ExperimentFile)); err != nil {
		return nil, fmt.Errorf("%s is not an experiment folder (no %s)", dir, ExperimentFile)
	}
	return &Store{Dir: dir}, nil
}

// TrialDir is the folder of trial id.
func (s *Store) TrialDir(id int) string {
	return filepath.Join(s.Dir, TrialsDir, strconv.Itoa(id))
}

// WriteJSON writes v as indented JSON to path atomically.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, append(b, '\n'))
}

// WriteFileAtomic writes data to a temporary file beside path, syncs it and
// renames it over path, so readers see the old or the new content, never a part.
func WriteFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// WriteExperiment saves the experiment record.
func (s *Store) WriteExperiment(e *Experiment) error {
	return WriteJSON(filepath.Join(s.Dir, ExperimentFile), e)
}

// Experiment reads the experiment record.
func (s *Store) Experiment() (*Experiment, error) {
	b, err := os.ReadFile(filepath.Join(s.Dir, ExperimentFile))
	if err != nil {
		return nil, err
	}
	var e Experiment
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(s.Dir, ExperimentFile), err)
	}
	return &e, nil
}

// WriteTrial saves a finished trial's own record in its folder (first, so
// that a kill between the two writes loses nothing).
func (s *Store) WriteTrial(t Trial) error {
	return WriteJSON(filepath.Join(s.TrialDir(t.ID), TrialFile), t)
}

// AppendTrial appends t to trials.jsonl and syncs it to disk.
func (s *Store) AppendTrial(t Trial) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.log == nil {
		f, err := os.OpenFile(filepath.Join(s.Dir, TrialsFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		s.log = f
	}
	if _, err := s.log.Write(append(b, '\n')); err != nil {
		return err
	}
	return s.log.Sync()
}

// Close releases the trial log.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.log == nil {
		return nil
	}
	err := s.log.Close()
	s.log = nil
	return err
}

// Trials reads every finished trial, in ID order: the lines of trials.jsonl,
// plus trial records written to a trial folder by a run killed before it
// appended them. A torn last line (a kill mid-write) is ignored.
func (s *Store) Trials() ([]Trial, error) {
	seen := map[int]bool{}
	var out []Trial
	b, err := os.ReadFile(filepath.Join(s.Dir, TrialsFile))
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
	entries, _ := os.ReadDir(filepath.Join(s.Dir, TrialsDir))
	for _, e := range entries {
		id, err := strconv.Atoi(e.Name())
		if err != nil || seen[id] {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.TrialDir(id), TrialFile))
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

// loggedIDs are the trial IDs present in trials.jsonl.
func (s *Store) loggedIDs() (map[int]bool, error) {
	b, err := os.ReadFile(filepath.Join(s.Dir, TrialsFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	ids := map[int]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var t struct {
			ID int `json:"id"`
		}
		if json.Unmarshal(sc.Bytes(), &t) == nil {
			ids[t.ID] = true
		}
	}
	return ids, nil
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
