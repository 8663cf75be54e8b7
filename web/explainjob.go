package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goautoml/automl/explain"
	"github.com/goautoml/automl/notebookgen"
	"github.com/goautoml/automl/store"
)

// Explaining a trial on request: the trial page's button starts a job that
// makes the trial's plots (package explain, refitting the trial when it
// kept no bundle) and its notebook (package notebookgen), as the finishing
// step does for the best trials. Jobs run one at a time under the
// server's context, each bounded by explainJobTimeout.
const (
	explainJobTimeout = 3 * time.Minute
	explainSHAPBound  = 45 * time.Second // model-agnostic SHAP's share, within the job's time
)

// Job states, as the trial page and its status URL show them.
const (
	jobQueued   = "queued"
	jobExplain  = "explain"
	jobNotebook = "notebook"
	jobDone     = "done"
	jobFailed   = "failed"
)

// jobs are the explanation jobs of this server, by experiment and trial.
// A finished job stays until the server stops, so its outcome can be read.
type jobs struct {
	mu  sync.Mutex
	m   map[string]*job
	run sync.Mutex // one job at a time: explanations use every core
}

type job struct {
	mu      sync.Mutex
	state   string
	err     string
	started time.Time
}

// jobStatus is the JSON of GET …/trials/{id}/explain.
type jobStatus struct {
	State   string  `json:"state"` // "" (none), queued, explain, notebook, done, failed
	Label   string  `json:"label"`
	Error   string  `json:"error,omitempty"`
	Seconds float64 `json:"seconds"`
}

func jobKey(exp string, id int) string { return exp + "/" + strconv.Itoa(id) }

func (j *jobs) get(exp string, id int) *job {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.m[jobKey(exp, id)]
}

func (j *job) status() jobStatus {
	if j == nil {
		return jobStatus{}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	st := jobStatus{State: j.state, Error: j.err, Seconds: time.Since(j.started).Seconds()}
	switch j.state {
	case jobQueued:
		st.Label = "Waiting for another trial's explanations to finish…"
	case jobExplain:
		st.Label = "Making the plots and SHAP values (this can take a minute)…"
	case jobNotebook:
		st.Label = "Writing the notebook…"
	case jobDone:
		st.Label = "Made."
	case jobFailed:
		st.Label = "Could not make them: " + j.err
	}
	return st
}

func (j *job) set(state, err string) {
	j.mu.Lock()
	j.state, j.err = state, err
	j.mu.Unlock()
}

// explainTrial starts the job that explains a trial and writes its
// notebook, then sends the browser back to the trial page.
func (h *handler) explainTrial(w http.ResponseWriter, r *http.Request) {
	x, ok := h.loadOr404(w, r)
	if !ok {
		return
	}
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || strconv.Itoa(id) != r.PathValue("id") {
		h.fail(w, r, http.StatusNotFound, fmt.Sprintf("Experiment %s has no trial %q.", x.Exp.Name, r.PathValue("id")))
		return
	}
	if x.Status == "running" {
		h.fail(w, r, http.StatusConflict, "Experiment "+x.Exp.Name+" is still running: its best trials are explained when it ends; other trials can be explained after that.")
		return
	}
	trials, err := h.s.trials(x)
	if err != nil {
		h.fail(w, r, http.StatusInternalServerError, "Cannot read the trials: "+err.Error())
		return
	}
	found := false
	for _, t := range trials {
		if t.ID == id {
			found = t.Status == "ok"
		}
	}
	if !found {
		h.fail(w, r, http.StatusNotFound, fmt.Sprintf("Experiment %s has no successful trial %d to explain.", x.Exp.Name, id))
		return
	}
	s := h.s
	s.jobs.mu.Lock()
	if s.jobs.m == nil {
		s.jobs.m = map[string]*job{}
	}
	key := jobKey(x.Exp.Name, id)
	j := s.jobs.m[key]
	busy := false
	if j != nil {
		st := j.status().State
		busy = st == jobQueued || st == jobExplain || st == jobNotebook
	}
	if !busy {
		s.mu.Lock() // no job starts once Close has begun (Close takes mu before wg.Wait)
		if s.ctx.Err() != nil {
			s.mu.Unlock()
			s.jobs.mu.Unlock()
			h.fail(w, r, http.StatusServiceUnavailable, "The server is shutting down.")
			return
		}
		j = &job{state: jobQueued, started: time.Now()}
		s.jobs.m[key] = j
		s.wg.Add(1)
		s.mu.Unlock()
		go s.runExplain(j, x.Store.Dir, x.Exp.Name, id)
	}
	s.jobs.mu.Unlock()
	http.Redirect(w, r, "/experiments/"+url.PathEscape(x.Exp.Name)+"/trials/"+strconv.Itoa(id)+"#explain", http.StatusSeeOther)
}

// explainStatus answers the trial page's poll with the job's state.
func (h *handler) explainStatus(w http.ResponseWriter, r *http.Request) {
	x, ok := h.loadOr404(w, r)
	if !ok {
		return
	}
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		http.Error(w, "no such trial", http.StatusNotFound)
		return
	}
	b, _ := json.Marshal(h.s.jobs.get(x.Exp.Name, id).status())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

// runExplain is the job: wait for the previous one, take the experiment's
// lock (a CLI command may be writing it), explain, write the notebook.
func (s *Server) runExplain(j *job, dir, name string, id int) {
	defer s.wg.Done()
	s.jobs.run.Lock()
	defer s.jobs.run.Unlock()
	ctx, cancel := context.WithTimeoutCause(s.ctx, explainJobTimeout, errors.New("the explanations took longer than "+explainJobTimeout.String()))
	defer cancel()
	if ctx.Err() != nil {
		j.set(jobFailed, "the server is shutting down")
		return
	}
	lock, err := store.Acquire(store.At(dir), "automl ui: explain trial "+strconv.Itoa(id))
	if err != nil {
		j.set(jobFailed, s.userError(err))
		return
	}
	defer lock.Release()
	j.set(jobExplain, "")
	log := s.log.With("experiment", name, "trial", id)
	_, err = explain.Trial(ctx, dir, id, explain.Options{SHAPTimeout: explainSHAPBound, Workers: s.cfg.Workers, Logger: log})
	if err != nil {
		if c := context.Cause(ctx); c != nil {
			err = c
		}
		log.Warn("explain on request", "err", err)
		j.set(jobFailed, s.userError(err))
		return
	}
	j.set(jobNotebook, "")
	o := notebookgen.Options{ModuleDir: s.cfg.Finish.ModuleDir, ModuleVersion: notebookgen.BinaryVersion()}
	o.StoreDir, _ = filepath.Abs(dir)
	if _, err := notebookgen.WriteTrial(dir, id, o); err != nil {
		log.Warn("notebook on request", "err", err)
		j.set(jobFailed, "the plots were made, but not the notebook: "+s.userError(err))
		return
	}
	log.Info("explained on request", "seconds", time.Since(j.started).Seconds())
	j.set(jobDone, "")
}

// userError is an error's message without this server's folders in it.
func (s *Server) userError(err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return "a file the trial needs is missing (the experiment's data file may have been removed): " + s.stripPaths(err.Error())
	}
	return s.stripPaths(err.Error())
}

func (s *Server) stripPaths(msg string) string {
	for _, p := range []string{s.cfg.Runs, mustAbs(s.cfg.Runs)} {
		if p != "" && p != "." {
			msg = strings.ReplaceAll(msg, p+string(filepath.Separator), "")
		}
	}
	return msg
}

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return ""
	}
	return a
}
