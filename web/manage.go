package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/store"
)

// Experiments are managed from their "manage" page: resume a run that was
// interrupted or stopped, rename, delete. Each holds the experiment's lock
// (store.Acquire) while it changes the folder, and works through the runs
// folder's os.Root, so no name reaches outside it.

type manageView struct {
	page
	Name, URL, Status string
	Trials            int
	Size              string
	CanResume         bool
	Running           bool
	NewName           string
	Error             string
}

// newNameRE is what a name chosen in the UI may look like: a file name
// that needs no quoting in a URL or a shell.
var newNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

func resumable(status string) bool { return status == "interrupted" || status == "stopped" }

func (h *handler) managePage(w http.ResponseWriter, r *http.Request) {
	x, ok := h.loadOr404(w, r)
	if !ok {
		return
	}
	h.renderManage(w, r, x, http.StatusOK, "", "")
}

func (h *handler) renderManage(w http.ResponseWriter, r *http.Request, x *expState, status int, msg, newName string) {
	name := x.Exp.Name
	v := &manageView{Name: name, URL: "/experiments/" + url.PathEscape(name), Status: x.Status, Trials: x.Exp.Trials,
		Size: fmt.Sprintf("%.1f MB", float64(automl.Size(x.Store.Dir))/1e6), Running: x.Live != nil && x.Status == "running",
		CanResume: resumable(x.Status) && (x.Live == nil || x.Status != "running"), NewName: newName, Error: msg}
	if v.NewName == "" {
		v.NewName = name
	}
	h.render(w, r, status, "manage.html", v)
}

// lockIdle takes the lock of an experiment that is not running here; the
// message says why it cannot be changed now.
func (s *Server) lockIdle(x *expState) (*store.Lock, string) {
	if x.Live != nil && x.Status == "running" {
		return nil, "The experiment is running: stop it first."
	}
	lock, err := store.Acquire(store.At(x.Store.Dir), "automl ui")
	if err != nil {
		var busy *store.BusyError
		if errors.As(err, &busy) {
			return nil, "Another program is writing this experiment: " + s.hidePaths(err.Error())
		}
		return nil, "The experiment cannot be locked: " + s.hidePaths(err.Error())
	}
	return lock, ""
}

// rename moves the experiment's folder and records its new name.
func (h *handler) rename(w http.ResponseWriter, r *http.Request) {
	x, ok := h.loadOr404(w, r)
	if !ok {
		return
	}
	old, neu := x.Exp.Name, strings.TrimSpace(r.PostForm.Get("name"))
	switch {
	case neu == old:
		http.Redirect(w, r, "/experiments/"+url.PathEscape(old), http.StatusSeeOther)
		return
	case !newNameRE.MatchString(neu):
		h.renderManage(w, r, x, http.StatusBadRequest, fmt.Sprintf("The name %q cannot be used: use letters, digits, dots, dashes and underscores (at most 100), starting with a letter or digit.", neu), neu)
		return
	}
	h.s.mu.Lock() // no new experiment takes the name meanwhile
	defer h.s.mu.Unlock()
	if _, err := h.s.runs.Lstat(neu); err == nil || h.s.live.get(neu) != nil {
		h.renderManage(w, r, x, http.StatusConflict, fmt.Sprintf("There is already an experiment called %q: choose another name.", neu), neu)
		return
	}
	lock, msg := h.s.lockIdle(x)
	if lock == nil {
		h.renderManage(w, r, x, http.StatusConflict, msg, neu)
		return
	}
	err := h.s.runs.Rename(old, neu)
	lock.Release()
	if err != nil {
		h.renderManage(w, r, x, http.StatusInternalServerError, "The experiment cannot be renamed: "+h.s.hidePaths(err.Error()), neu)
		return
	}
	if err := h.s.recordName(old, neu); err != nil {
		h.s.log.Error("rename: the folder moved but its record was not updated", "from", old, "to", neu, "err", err)
	}
	h.s.live.forget(old)
	h.s.deployed.dropExperiment(old)
	h.s.log.Info("renamed", "from", old, "to", neu)
	http.Redirect(w, r, "/experiments/"+url.PathEscape(neu), http.StatusSeeOther)
}

// recordName writes the new name into the moved experiment's record, and
// moves its data path along when the data is the experiment's own copy.
func (s *Server) recordName(old, neu string) error {
	dir := store.ExperimentDir(s.cfg.Runs, neu)
	st, err := automl.OpenWriter(dir, s.log)
	if err != nil {
		return err
	}
	defer st.Close()
	e, err := st.Experiment()
	if err != nil {
		return err
	}
	e.Name, e.Config.Name = neu, neu
	for _, p := range []*string{&e.Config.Data, &e.Data.Path} {
		if *p == "" {
			continue
		}
		abs, _ := filepath.Abs(store.ExperimentDir(s.cfg.Runs, old))
		for _, prefix := range []string{abs, store.ExperimentDir(s.cfg.Runs, old)} {
			if rest, ok := strings.CutPrefix(*p, prefix+string(filepath.Separator)); ok {
				newDir := dir
				if filepath.IsAbs(*p) {
					newDir, _ = filepath.Abs(dir)
				}
				*p = filepath.Join(newDir, rest)
				break
			}
		}
	}
	return st.WriteExperiment(e)
}

// remove deletes the experiment's folder once its name was typed to confirm.
func (h *handler) remove(w http.ResponseWriter, r *http.Request) {
	x, ok := h.loadOr404(w, r)
	if !ok {
		return
	}
	name := x.Exp.Name
	if r.PostForm.Get("confirm") != name {
		h.renderManage(w, r, x, http.StatusBadRequest, fmt.Sprintf("To delete it, type the experiment's name, %s, in the box.", name), "")
		return
	}
	if fi, err := h.s.runs.Lstat(name); err != nil || !fi.IsDir() {
		h.renderManage(w, r, x, http.StatusConflict, "This experiment is not a folder of the runs folder (a link?): it is left alone.", "")
		return
	}
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	lock, msg := h.s.lockIdle(x)
	if lock == nil {
		h.renderManage(w, r, x, http.StatusConflict, msg, "")
		return
	}
	// The lock file is inside the folder: the removal takes it along.
	err := h.s.runs.RemoveAll(name)
	lock.Release()
	if err != nil {
		h.renderManage(w, r, x, http.StatusInternalServerError, "The experiment could not be deleted completely: "+h.s.hidePaths(err.Error()), "")
		return
	}
	h.s.live.forget(name)
	h.s.deployed.dropExperiment(name)
	h.s.log.Info("deleted", "experiment", name)
	http.Redirect(w, r, "/?deleted="+url.QueryEscape(name), http.StatusSeeOther)
}

// resume continues an interrupted or stopped experiment on this machine,
// as `automl resume` does: the finished trials are kept, the budget is the
// experiment's, the finishing step is the one recorded.
func (h *handler) resume(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	x, ok := h.loadOr404(w, r)
	if !ok {
		return
	}
	if !resumable(x.Status) || x.Live != nil && x.Status == "running" {
		h.renderManage(w, r, x, http.StatusConflict, fmt.Sprintf("The experiment is %s: only an interrupted or stopped experiment can be resumed.", x.Status), "")
		return
	}
	e := x.Exp
	fo, err := finishFrom(recordedFinish(e.Config.FinishFlags, h.s.cfg.Finish.MLflow.URI), *h.s.cfg.Finish)
	if err != nil {
		h.renderManage(w, r, x, http.StatusConflict, "The recorded settings of the step after the search cannot be used: "+err.Error(), "")
		return
	}
	done, err := x.Store.Trials()
	if err != nil {
		h.renderManage(w, r, x, http.StatusInternalServerError, "Cannot read the trials: "+h.s.hidePaths(err.Error()), "")
		return
	}
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if err := h.s.ctx.Err(); err != nil {
		h.renderManage(w, r, x, http.StatusServiceUnavailable, "The server is shutting down.", "")
		return
	}
	// Check now that nothing else writes it; Resume takes the lock for good.
	lock, msg := h.s.lockIdle(x)
	if lock == nil {
		h.renderManage(w, r, x, http.StatusConflict, msg, "")
		return
	}
	lock.Release()
	snap := *e
	snap.Status, snap.Started = "running", started.UTC()
	dir := x.Store.Dir
	h.s.run(snap, done, fo, started, e.Config.Timeout, func() {}, func(ctx context.Context, opt automl.Options) (*automl.Result, error) {
		return automl.Resume(ctx, dir, opt)
	}, automl.Options{})
	http.Redirect(w, r, "/experiments/"+url.PathEscape(e.Name), http.StatusSeeOther)
}

// recordedFinish turns the finishing step's recorded flags back into the
// form's fields; MLflow stays on only with the tracking server recorded.
func recordedFinish(flags map[string]string, server string) url.Values {
	q := url.Values{"finishing": {"set"}}
	for flag, field := range map[string]string{"explain-top": "explain_top", "notebooks": "notebooks", "finish-share": "finish_share",
		"mlflow-experiment-name": "mlflow_experiment_name", "mlflow-register-model": "mlflow_register_model"} {
		if v, ok := flags[flag]; ok {
			q.Set(field, v)
		}
	}
	if uri := flags["mlflow"]; uri != "" && uri == server {
		q.Set("mlflow", "on")
	}
	return q
}

// forget drops a run that has ended from the registry (its experiment was
// deleted or renamed).
func (g *registry) forget(name string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.runs, name)
}
