package web

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/store"
)

// uploadsDir is the hidden folder of the runs folder holding uploaded data.
const uploadsDir = store.UploadsDir

var errNoExperiment = errors.New("no such experiment")

// validName accepts a single path element that is not hidden.
func validName(name string) bool {
	return name != "" && !strings.HasPrefix(name, ".") && !strings.ContainsAny(name, `/\`) &&
		filepath.IsLocal(name) && len(name) <= 200
}

// experimentNames lists the folders of the runs folder that hold an experiment.
func (s *Server) experimentNames() ([]string, error) {
	entries, err := os.ReadDir(s.cfg.Runs)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() || !validName(e.Name()) {
			continue
		}
		if _, err := os.Stat(store.At(store.ExperimentDir(s.cfg.Runs, e.Name())).Experiment()); err == nil {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// expState is an experiment as the UI shows it: the store's record, with
// the status corrected for runs this server does not hold.
type expState struct {
	Exp    *automl.Experiment
	Store  *automl.Store
	Live   *liveRun
	Status string
	Stop   automl.StopReason
	Err    string
}

// load reads an experiment; errNoExperiment when the name is not one.
func (s *Server) load(name string) (*expState, error) {
	if !validName(name) {
		return nil, errNoExperiment
	}
	live := s.live.get(name)
	st, err := automl.OpenStore(store.ExperimentDir(s.cfg.Runs, name))
	var e *automl.Experiment
	if err == nil {
		e, err = st.Experiment()
	}
	if err != nil {
		if live == nil {
			if errors.Is(err, fs.ErrNotExist) || st == nil {
				return nil, errNoExperiment
			}
			return nil, err
		}
		// Started a moment ago: its record is not on disk yet.
		cp := live.exp
		e = &cp
		st = &automl.Store{Layout: store.At(store.ExperimentDir(s.cfg.Runs, name))}
	}
	x := &expState{Exp: e, Store: st, Live: live, Status: e.Status, Stop: e.StopReason, Err: e.Error}
	if live != nil {
		snap := live.since(math.MaxInt)
		x.Status, x.Stop = snap.Status, snap.Stop
		if snap.Err != "" {
			x.Err = snap.Err
		}
	} else if e.Status == "running" {
		x.Status = "interrupted"
	}
	return x, nil
}

// trials returns the experiment's finished trials: the live list for a
// run held here (consistent with its event stream), else the store's. The
// slice is shared: callers must not modify it.
func (s *Server) trials(x *expState) ([]automl.Trial, error) {
	if x.Live != nil {
		return x.Live.since(0).Trials, nil
	}
	return s.cache.trials(x.Store)
}

// trialCache keeps the trials read from each experiment's store until its
// log or trial folder changes, so that pages of big finished experiments
// do not parse the whole log again.
type trialCache struct {
	mu sync.Mutex
	m  map[string]cachedTrials
}

type cachedTrials struct {
	logSize        int64
	logMod, dirMod time.Time
	trials         []automl.Trial
}

func (c *trialCache) trials(st *automl.Store) ([]automl.Trial, error) {
	var key cachedTrials
	lay := store.At(st.Dir)
	if fi, err := os.Stat(lay.TrialLog()); err == nil {
		key.logSize, key.logMod = fi.Size(), fi.ModTime()
	}
	if fi, err := os.Stat(lay.Trials()); err == nil {
		key.dirMod = fi.ModTime()
	}
	c.mu.Lock()
	got, ok := c.m[st.Dir]
	c.mu.Unlock()
	if ok && got.logSize == key.logSize && got.logMod.Equal(key.logMod) && got.dirMod.Equal(key.dirMod) {
		return got.trials, nil
	}
	ts, err := st.Trials()
	if err != nil {
		return nil, err
	}
	key.trials = ts
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]cachedTrials{}
	}
	c.m[st.Dir] = key
	c.mu.Unlock()
	return ts, nil
}
