package mlflow

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/goautoml/automl/automl"
)

// TagNotebook marks a trial run that a trial notebook logged into (its value is the time).
const TagNotebook = "goautoml.notebook_logged"

// LogNotebook logs trial t, computed again by its notebook, into MLflow under the names the
// export uses (the params of the export's mapping, metrics named by MetricName) and into the
// trial's own run: the run an export made, found by its identity tag, or, before any export,
// a new run under the experiment's parent run (made too when missing) with the same identity,
// which a later export completes. experiment is the automl experiment's name, also the MLflow
// experiment's (the export's default).
func LogNotebook(ctx context.Context, c *Client, experiment, dataSHA256 string, t automl.Trial) (*Run, error) {
	e := &automl.Experiment{Name: experiment}
	e.Data.SHA256 = dataSHA256
	expID, err := c.GetOrCreateExperiment(ctx, experiment, []Tag{{Key: TagExperiment, Value: experiment}})
	if err != nil {
		return nil, fmt.Errorf("mlflow experiment %q: %w", experiment, err)
	}
	parent, _, err := c.GetOrCreateRun(ctx, CreateRunRequest{ExperimentID: expID, RunName: experiment,
		Tags: []Tag{{Key: TagExperiment, Value: experiment}}}, TagParent, idValue(experiment))
	if err != nil {
		return nil, fmt.Errorf("parent run of %s: %w", experiment, err)
	}
	req := CreateRunRequest{ExperimentID: expID, RunName: fmt.Sprintf("trial-%d-%s", t.ID, t.Model.Family),
		Tags: trialTags(e, t, parent.Info.RunID)}
	run, _, err := c.GetOrCreateRun(ctx, req, TagTrial, idValue(experiment)+"/"+strconv.Itoa(t.ID))
	if err != nil {
		return nil, fmt.Errorf("trial %d: %w", t.ID, err)
	}
	params, err := trialParams(t)
	if err != nil {
		return nil, fmt.Errorf("trial %d: %w", t.ID, err)
	}
	now := time.Now()
	b := Batch{Params: params, Metrics: trialMetrics(t, now.UnixMilli()),
		Tags: []Tag{{Key: TagNotebook, Value: now.UTC().Format(time.RFC3339)}}}
	if err := c.LogBatch(ctx, run.Info.RunID, unsent(run, b)); err != nil {
		return nil, fmt.Errorf("trial %d: log: %w", t.ID, err)
	}
	return run, nil
}

// unsent drops from b the params the run holds with the same value and the metrics whose
// latest value on the run is the same, so logging what a run already has adds no metric
// history.
func unsent(run *Run, b Batch) Batch {
	params := map[string]string{}
	for _, p := range run.Data.Params {
		params[p.Key] = p.Value
	}
	metrics := map[string]float64{}
	for _, m := range run.Data.Metrics {
		metrics[m.Key] = m.Value
	}
	out := Batch{Tags: b.Tags}
	for _, p := range b.Params {
		if v, ok := params[p.Key]; !ok || v != p.Value {
			out.Params = append(out.Params, p)
		}
	}
	for _, m := range b.Metrics {
		if v, ok := metrics[m.Key]; !ok || v != m.Value {
			out.Metrics = append(out.Metrics, m)
		}
	}
	return out
}
