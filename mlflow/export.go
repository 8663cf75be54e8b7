package mlflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/onnx"
	"github.com/goautoml/automl/store"
)

// ExportOptions say where an experiment goes and what else to do.
type ExportOptions struct {
	// ExperimentName is the MLflow experiment (created when missing); "" uses the automl
	// experiment's name.
	ExperimentName string
	// RegisterModel, when not empty, registers the best trial's model under this name
	// (Export only; the Exporter does it in Register).
	RegisterModel string
	// Alias is pointed at the registered version (e.g. "champion"; "" sets none). An alias
	// moves: a later export of a better model takes it over.
	Alias string
	// Workers is how many trial runs are exported at once (0 = 4).
	Workers int
	// Logger receives one line per exported run; nil discards.
	Logger *slog.Logger
	// Binary is an automl binary (a static build) copied into every MLflow Model as
	// bin/automl, for the python_function flavor's loader; "" copies none (the loader then
	// looks for automl on PATH).
	Binary string
	// ONNX adds model.onnx, the bundle as one ONNX graph, to every MLflow Model whose family
	// ONNX expresses exactly (the others are logged and go without).
	ONNX bool
	// Producer is the version written into ONNX models.
	Producer string
}

// ExportReport tells what an export did.
type ExportReport struct {
	ExperimentID string
	ParentRunID  string
	// Exported counts the trial runs written (new, interrupted or with new files); Skipped those
	// an earlier export had completed.
	Exported, Skipped int
	// ParentExported reports whether the parent run was (re)written.
	ParentExported bool
	// ModelVersion is the registered version, when one was asked for.
	ModelVersion *ModelVersion
}

// Exporter writes one automl experiment folder to an MLflow tracking server: one MLflow
// experiment, a parent run for the automl experiment and a child run per trial. It is safe to
// repeat: runs are found by their identity tags (TagParent, TagTrial) and a run whose
// TagComplete matches what would be sent is skipped, so an export adds nothing twice and an
// interrupted one is finished by the next. Methods may be called from several goroutines.
type Exporter struct {
	c   *Client
	dir string
	opt ExportOptions
	st  *automl.Store

	mu     sync.Mutex
	exp    *automl.Experiment
	expID  string
	parent *Run
	runs   map[int]*Run // trial id → run, as found or made by this exporter
}

// NewExporter opens the experiment folder dir; it does not contact the server.
func NewExporter(c *Client, dir string, opt ExportOptions) (*Exporter, error) {
	st, err := automl.OpenStore(dir)
	if err != nil {
		return nil, err
	}
	e, err := st.Experiment()
	if err != nil {
		return nil, err
	}
	if opt.ExperimentName == "" {
		opt.ExperimentName = e.Name
	}
	if opt.Workers <= 0 {
		opt.Workers = 4
	}
	return &Exporter{c: c, dir: dir, opt: opt, st: st, exp: e, runs: map[int]*Run{}}, nil
}

func (x *Exporter) logger() *slog.Logger {
	if x.opt.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return x.opt.Logger
}

// idValue escapes an identity tag value for runs/search filters, which cannot hold a single
// quote: '%' and '\” are percent-encoded, so distinct names stay distinct.
func idValue(s string) string {
	return strings.NewReplacer("%", "%25", "'", "%27").Replace(s)
}

// experimentID finds or creates the MLflow experiment.
func (x *Exporter) experimentID(ctx context.Context) (string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.ensureExperiment(ctx); err != nil {
		return "", err
	}
	return x.expID, nil
}

// ensureExperiment sets x.expID; x.mu is held.
func (x *Exporter) ensureExperiment(ctx context.Context) error {
	if x.expID != "" {
		return nil
	}
	id, err := x.c.GetOrCreateExperiment(ctx, x.opt.ExperimentName, []Tag{{Key: TagExperiment, Value: x.exp.Name}})
	if err != nil {
		return fmt.Errorf("mlflow experiment %q: %w", x.opt.ExperimentName, err)
	}
	x.expID = id
	return nil
}

// ensure finds or creates the MLflow experiment and the parent run.
func (x *Exporter) ensure(ctx context.Context) (*automl.Experiment, *Run, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.parent != nil {
		return x.exp, x.parent, nil
	}
	e := x.exp
	if err := x.ensureExperiment(ctx); err != nil {
		return nil, nil, err
	}
	req := CreateRunRequest{ExperimentID: x.expID, RunName: e.Name, StartTime: millis(e.Started),
		Tags: []Tag{{Key: TagExperiment, Value: e.Name}}}
	run, created, err := x.c.GetOrCreateRun(ctx, req, TagParent, idValue(e.Name))
	if err != nil {
		return nil, nil, fmt.Errorf("parent run of %s: %w", e.Name, err)
	}
	if created {
		x.logger().Info("mlflow: parent run created", "run", run.Info.RunID)
	}
	x.parent = run
	return e, run, nil
}

// Trial exports one finished trial as a child run of the experiment's parent run: params,
// metrics, tags, every file of its folder, and its bundle as an MLflow Model under "model".
// exported is false when an earlier export completed the same run.
func (x *Exporter) Trial(ctx context.Context, t automl.Trial) (exported bool, err error) {
	e, parent, err := x.ensure(ctx)
	if err != nil {
		return false, err
	}
	dir := x.st.Layout.Trial(t.ID)
	_, bundleErr := os.Stat(store.Bundle(dir))
	hasBundle := bundleErr == nil
	files := collect(dir, "", func(rel string, isDir bool) bool {
		return hasBundle && bundle.IsFile(rel)
	})
	var bundleFiles []localFile
	if hasBundle {
		bundleFiles = collect(dir, "model/bundle", func(rel string, _ bool) bool { return !bundle.IsFile(rel) })
	}
	fp := fingerprint(t, []byte(parent.Info.RunID), append(files, bundleFiles...))

	end := trialEnd(t)
	req := CreateRunRequest{ExperimentID: parent.Info.ExperimentID, RunName: fmt.Sprintf("trial-%d-%s", t.ID, t.Model.Family),
		StartTime: millis(t.Timing.Started), Tags: trialTags(e, t, parent.Info.RunID)}
	run, _, err := x.c.GetOrCreateRun(ctx, req, TagTrial, idValue(e.Name)+"/"+strconv.Itoa(t.ID))
	if err != nil {
		return false, fmt.Errorf("trial %d: %w", t.ID, err)
	}
	x.mu.Lock()
	x.runs[t.ID] = run
	x.mu.Unlock()
	if v, _ := run.Data.Tag(TagComplete); v == fp {
		return false, nil
	}
	params, err := trialParams(t)
	if err != nil {
		return false, fmt.Errorf("trial %d: %w", t.ID, err)
	}
	b := Batch{Params: params, Metrics: trialMetrics(t, millis(end)), Tags: trialTags(e, t, parent.Info.RunID)}
	if err := x.c.LogBatch(ctx, run.Info.RunID, unsent(run, b)); err != nil {
		return false, fmt.Errorf("trial %d: log: %w", t.ID, err)
	}
	up, err := x.c.Artifacts(run.Info.ArtifactURI)
	if err != nil {
		return false, fmt.Errorf("trial %d: %w", t.ID, err)
	}
	if err := upload(ctx, up, files); err != nil {
		return false, fmt.Errorf("trial %d: %w", t.ID, err)
	}
	if hasBundle {
		if err := x.uploadModel(ctx, up, dir, t, run.Info.RunID, end); err != nil {
			return false, fmt.Errorf("trial %d: model: %w", t.ID, err)
		}
	}
	status := StatusFinished
	if t.Status != "ok" {
		status = StatusFailed
	}
	if _, err := x.c.UpdateRun(ctx, UpdateRunRequest{RunID: run.Info.RunID, Status: status, EndTime: millis(end)}); err != nil {
		return false, fmt.Errorf("trial %d: finish run: %w", t.ID, err)
	}
	if err := x.c.SetTag(ctx, run.Info.RunID, TagComplete, fp); err != nil {
		return false, fmt.Errorf("trial %d: %w", t.ID, err)
	}
	x.logger().Info("mlflow: trial exported", "trial", t.ID, "run", run.Info.RunID)
	return true, nil
}

func upload(ctx context.Context, up *ArtifactUploader, files []localFile) error {
	for _, f := range files {
		if err := up.UploadFile(ctx, f.rel, f.path); err != nil {
			return err
		}
	}
	return nil
}

// Parent (re)writes the parent run from the experiment folder as it is now: params and tags
// describing the data, guardrails and profile, the best trial's metrics, the leaderboard CSV,
// experiment.json, trials.jsonl and every other file of the folder outside trials/ (the
// exploration notebook, the search-progress plots). The run is set FINISHED, FAILED or KILLED
// after the experiment's status (left RUNNING while the experiment runs). exported is false
// when an earlier export wrote the same.
func (x *Exporter) Parent(ctx context.Context) (exported bool, err error) {
	e, err := x.st.Experiment()
	if err != nil {
		return false, err
	}
	trials, err := x.st.Trials()
	if err != nil {
		return false, err
	}
	x.mu.Lock()
	x.exp = e
	x.mu.Unlock()
	_, parent, err := x.ensure(ctx)
	if err != nil {
		return false, err
	}
	var board bytes.Buffer
	if err := automl.WriteLeaderboardCSV(&board, trials, e.Config.Metric); err != nil {
		return false, fmt.Errorf("leaderboard: %w", err)
	}
	files := collect(x.dir, "", func(rel string, isDir bool) bool { return rel == store.TrialsDir })
	fp := fingerprint(e, board.Bytes(), files)
	if v, _ := parent.Data.Tag(TagComplete); v == fp {
		return false, nil
	}
	b := Batch{Params: experimentParams(e), Tags: experimentTags(e)}
	ts := millis(e.Started)
	if e.Finished != nil {
		ts = millis(*e.Finished)
	}
	if e.Best != nil {
		for _, t := range trials {
			if t.ID == *e.Best {
				b.Metrics = trialMetrics(t, ts)
			}
		}
	}
	b.Metrics = append(b.Metrics, Metric{Key: "trials", Value: float64(e.Trials), Timestamp: ts},
		Metric{Key: "failed_trials", Value: float64(e.Failed), Timestamp: ts})
	if err := x.c.LogBatch(ctx, parent.Info.RunID, b); err != nil {
		return false, fmt.Errorf("parent run: log: %w", err)
	}
	up, err := x.c.Artifacts(parent.Info.ArtifactURI)
	if err != nil {
		return false, err
	}
	if err := up.Upload(ctx, "leaderboard.csv", board.Bytes()); err != nil {
		return false, fmt.Errorf("parent run: %w", err)
	}
	if err := upload(ctx, up, files); err != nil {
		return false, fmt.Errorf("parent run: %w", err)
	}
	status := map[string]string{"done": StatusFinished, "failed": StatusFailed, "interrupted": StatusKilled}[e.Status]
	if status != "" {
		req := UpdateRunRequest{RunID: parent.Info.RunID, Status: status}
		if e.Finished != nil {
			req.EndTime = millis(*e.Finished)
		}
		if _, err := x.c.UpdateRun(ctx, req); err != nil {
			return false, fmt.Errorf("parent run: finish: %w", err)
		}
	}
	if err := x.c.SetTag(ctx, parent.Info.RunID, TagComplete, fp); err != nil {
		return false, fmt.Errorf("parent run: %w", err)
	}
	x.mu.Lock()
	parent.Data.Tags = append(parent.Data.Tags, Tag{Key: TagComplete, Value: fp})
	x.mu.Unlock()
	return true, nil
}

// Register registers the best trial's model as a version of the registered model name
// (created when missing), with source = the trial run's artifact_uri + "/model". Repeating it
// returns the same version. The best trial must have been exported with its bundle.
func (x *Exporter) Register(ctx context.Context, name string) (*ModelVersion, error) {
	e, _, err := x.ensure(ctx)
	if err != nil {
		return nil, err
	}
	if e.Best == nil {
		return nil, fmt.Errorf("register model %q: experiment %s has no successful trial", name, e.Name)
	}
	return x.RegisterTrial(ctx, name, *e.Best)
}

// RegisterTrial registers trial id's model as a version of the registered model name, as
// Register does for the best trial (the web UI registers the trial a person chose). The trial
// must have been exported with its bundle (Trial).
func (x *Exporter) RegisterTrial(ctx context.Context, name string, id int) (*ModelVersion, error) {
	e, parent, err := x.ensure(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(x.st.Layout.Bundle(id)); err != nil {
		return nil, fmt.Errorf("register model %q: trial %d has no model bundle (%s)", name, id, x.st.Layout.Bundle(id))
	}
	x.mu.Lock()
	run := x.runs[id]
	x.mu.Unlock()
	if run == nil {
		run, err = x.c.FindRunByTag(ctx, parent.Info.ExperimentID, TagTrial, idValue(e.Name)+"/"+strconv.Itoa(id))
		if err != nil {
			return nil, err
		}
		if run == nil {
			return nil, fmt.Errorf("register model %q: trial %d is not exported yet", name, id)
		}
	}
	if err := x.c.EnsureRegisteredModel(ctx, name, "", nil); err != nil {
		return nil, fmt.Errorf("register model %q: %w", name, err)
	}
	up, err := x.c.Artifacts(run.Info.ArtifactURI)
	if err != nil {
		return nil, err
	}
	mv, _, err := x.c.GetOrCreateModelVersion(ctx, CreateModelVersionRequest{Name: name, Source: up.URI("model"), RunID: run.Info.RunID,
		Description: fmt.Sprintf("goautoml experiment %s, trial %d (%s)", e.Name, id, familyOf(x.st, id))})
	if err != nil {
		return nil, fmt.Errorf("register model %q: %w", name, err)
	}
	if x.opt.Alias != "" {
		if err := x.c.SetAlias(ctx, name, x.opt.Alias, mv.Version); err != nil {
			return nil, fmt.Errorf("register model %q: alias %q: %w", name, x.opt.Alias, err)
		}
	}
	return mv, nil
}

func familyOf(st *automl.Store, id int) string {
	b, err := os.ReadFile(st.Layout.Bundle(id))
	if err != nil {
		return "?"
	}
	var v struct {
		Family string `json:"family"`
	}
	json.Unmarshal(b, &v)
	return v.Family
}

// Export writes the experiment folder dir to the tracking server c: every trial not yet
// complete on the server, then the parent run, then (with opt.RegisterModel) the best model's
// registration. It stops at the first error (what was finished stays finished; run it again to
// resume).
func Export(ctx context.Context, c *Client, dir string, opt ExportOptions) (*ExportReport, error) {
	x, err := NewExporter(c, dir, opt)
	if err != nil {
		return nil, err
	}
	return x.All(ctx)
}

// All exports every finished trial of the folder, then the parent run, then registers the best
// model when the options ask for it.
func (x *Exporter) All(ctx context.Context) (rep *ExportReport, err error) {
	trials, err := x.st.Trials()
	if err != nil {
		return nil, err
	}
	expID, err := x.experimentID(ctx)
	if err != nil {
		return nil, err
	}
	lock, err := x.acquireLock(ctx, expID)
	if err != nil {
		return nil, err
	}
	defer func() {
		if rerr := lock.release(); rerr != nil && err == nil {
			err = rerr
		}
	}()
	_, parent, err := x.ensure(ctx)
	if err != nil {
		return nil, err
	}
	rep = &ExportReport{ExperimentID: parent.Info.ExperimentID, ParentRunID: parent.Info.RunID}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	next := make(chan automl.Trial)
	for range min(x.opt.Workers, max(len(trials), 1)) {
		wg.Go(func() {
			for t := range next {
				done, err := x.Trial(ctx, t)
				mu.Lock()
				switch {
				case err != nil:
					if len(errs) == 0 {
						cancel(err)
					}
					errs = append(errs, err)
				case done:
					rep.Exported++
				default:
					rep.Skipped++
				}
				mu.Unlock()
			}
		})
	}
feed:
	for _, t := range trials {
		select {
		case next <- t:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		return rep, errs[0]
	}
	if rep.ParentExported, err = x.Parent(ctx); err != nil {
		return rep, err
	}
	if x.opt.RegisterModel != "" {
		if rep.ModelVersion, err = x.Register(ctx, x.opt.RegisterModel); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// uploadModel writes the trial's bundle as an MLflow Model directory in a temporary folder and
// uploads it under "model".
func (x *Exporter) uploadModel(ctx context.Context, up *ArtifactUploader, dir string, t automl.Trial, runID string, created time.Time) error {
	info, err := modelInfo(dir, t, runID, created)
	if err != nil {
		return err
	}
	info.PythonFunction, info.Binary = true, x.opt.Binary
	if x.opt.ONNX {
		m, err := bundle.Load(dir)
		if err != nil {
			return err
		}
		data, err := onnx.FromModel(m, x.opt.Producer)
		switch {
		case errors.Is(err, onnx.ErrUnsupported):
			x.logger().Info("no ONNX form", "trial", t.ID, "reason", err.Error())
		case err != nil:
			return err
		default:
			info.Files = map[string][]byte{"model.onnx": data}
		}
	}
	tmp, err := os.MkdirTemp("", "goautoml-mlmodel-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// The bundle is model.json, model/ and, for an ensemble, members/; the trial folder's
	// other files are run artifacts.
	info.BundleDir = filepath.Join(tmp, "bundle")
	if err := os.MkdirAll(info.BundleDir, 0o755); err != nil {
		return err
	}
	if err := copyFile(store.Bundle(dir), store.Bundle(info.BundleDir)); err != nil {
		return err
	}
	for _, sub := range []string{store.ModelDir, store.MembersDir} {
		if _, err := os.Stat(filepath.Join(dir, sub)); err == nil {
			if err := copyTree(filepath.Join(dir, sub), filepath.Join(info.BundleDir, sub)); err != nil {
				return err
			}
		}
	}
	md := filepath.Join(tmp, "model")
	if err := WriteModelDir(md, info); err != nil {
		return err
	}
	_, err = up.UploadDir(ctx, "model", md)
	return err
}
