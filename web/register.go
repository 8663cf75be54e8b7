package web

import (
	"context"

	"fmt"
	"github.com/goautoml/automl/automl"
	"net/http"
	"strings"
	"time"

	"github.com/goautoml/automl/finish"
	"github.com/goautoml/automl/mlflow"
)

// registerTimeout bounds one registration: exporting the trial's run (its
// files and model) and creating the model version.
const registerTimeout = 3 * time.Minute

// register exports the trial to the server's MLflow tracking server (its
// run, with the model) and registers its model under the name given, with
// package mlflow's exporter, as `automl run --mlflow-register-model` does
// for the best trial.
func (h *handler) register(w http.ResponseWriter, r *http.Request) {
	x, t, ok := h.useTrial(w, r)
	if !ok {
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	fail := func(status int, msg string) {
		h.renderUse(w, r, x, t, status, func(v *useView) { v.RegisterError, v.RegisterName = msg, name })
	}
	uri := h.s.cfg.Finish.MLflow.URI
	switch {
	case uri == "":
		fail(http.StatusConflict, "This server was not started with an MLflow tracking server (automl ui --mlflow URL).")
		return
	case name == "" || len(name) > 256 || strings.ContainsAny(name, "/\\\n"):
		fail(http.StatusBadRequest, fmt.Sprintf("The registered model name %q cannot be used: give a name without slashes, at most 256 characters.", name))
		return
	}
	if _, err := h.s.model(r.Context(), x, t.ID, "exported"); err != nil {
		fail(http.StatusConflict, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), registerTimeout)
	defer cancel()
	mv, err := exportAndRegister(ctx, h.s, uri, x.Store.Dir, x.Exp.Config.FinishFlags["mlflow-experiment-name"], t, name)
	if err != nil {
		fail(http.StatusBadGateway, "The model could not be registered at "+uri+": "+h.s.hidePaths(err.Error()))
		return
	}
	h.s.log.Info("registered", "experiment", x.Exp.Name, "trial", t.ID, "model", mv.Name, "version", mv.Version)
	h.renderUse(w, r, x, t, http.StatusOK, func(v *useView) {
		v.Registered, v.RegisterName = fmt.Sprintf("Registered as %s version %s at %s.", mv.Name, mv.Version, uri), name
	})
}

// exportAndRegister sends trial t of the experiment folder dir to the
// tracking server at uri (into MLflow experiment experiment; "": the
// experiment's name) and registers its model as name.
func exportAndRegister(ctx context.Context, s *Server, uri, dir, experiment string, t automl.Trial, name string) (*mlflow.ModelVersion, error) {
	c, err := mlflow.NewClient(uri)
	if err != nil {
		return nil, err
	}
	c.Retry = finish.LiveRetry
	if r := s.cfg.Finish.MLflow.Retry; r != nil {
		c.Retry = *r
	}
	ex, err := mlflow.NewExporter(c, dir, mlflow.ExportOptions{ExperimentName: experiment, Logger: s.log})
	if err != nil {
		return nil, err
	}
	if _, err := ex.Trial(ctx, t); err != nil {
		return nil, err
	}
	return ex.RegisterTrial(ctx, name, t.ID)
}
