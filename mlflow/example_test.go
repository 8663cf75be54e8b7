package mlflow_test

import (
	"context"
	"fmt"
	"log"

	"github.com/goautoml/automl/mlflow"
	"github.com/goautoml/automl/mlflow/mlflowtest"
)

// The export of one trial: experiment, run found or made by a trial tag (safe to repeat),
// flattened params and metrics, artifacts under the run's artifact_uri, registration.
func Example() {
	srv := mlflowtest.NewServer(mlflowtest.Options{Seed: 1})
	defer srv.Close()
	ctx := context.Background()
	c := &mlflow.Client{BaseURL: srv.URL} // or mlflow.NewClientFromEnv()

	expID, err := c.GetOrCreateExperiment(ctx, "german-credit", nil)
	if err != nil {
		log.Fatal(err)
	}
	run, created, err := c.GetOrCreateRun(ctx, mlflow.CreateRunRequest{ExperimentID: expID, RunName: "trial-3"},
		"goautoml.trial", "german-credit/3")
	if err != nil {
		log.Fatal(err)
	}
	params, _ := mlflow.FlattenParams("", map[string]any{"model": map[string]any{"family": "gbdt", "rounds": 200}})
	err = c.LogBatch(ctx, run.Info.RunID, mlflow.Batch{
		Params:  params,
		Metrics: []mlflow.Metric{{Key: "roc_auc", Value: 0.79, Timestamp: 1700000000000}},
	})
	if err != nil {
		log.Fatal(err)
	}
	up, err := c.Artifacts(run.Info.ArtifactURI)
	if err != nil {
		log.Fatal(err)
	}
	if err := up.Upload(ctx, "model/MLmodel", []byte("flavors: {}\n")); err != nil {
		log.Fatal(err)
	}
	if err := c.EnsureRegisteredModel(ctx, "german-credit", "", nil); err != nil {
		log.Fatal(err)
	}
	mv, _, err := c.GetOrCreateModelVersion(ctx, mlflow.CreateModelVersionRequest{
		Name: "german-credit", Source: up.URI("model"), RunID: run.Info.RunID})
	if err != nil {
		log.Fatal(err)
	}
	if err := c.SetAlias(ctx, "german-credit", "champion", mv.Version); err != nil {
		log.Fatal(err)
	}
	again, created2, _ := c.GetOrCreateRun(ctx, mlflow.CreateRunRequest{ExperimentID: expID}, "goautoml.trial", "german-credit/3")
	fmt.Println("created:", created, "then:", created2, "same run:", again.Info.RunID == run.Info.RunID)
	fmt.Println("params:", params)
	fmt.Println("version:", mv.Version, "source is artifact_uri/model:", mv.Source == run.Info.ArtifactURI+"/model")
	// Output:
	// created: true then: false same run: true
	// params: [{model.family gbdt} {model.rounds 200}]
	// version: 1 source is artifact_uri/model: true
}

func ExampleTagFilter() {
	f, _ := mlflow.TagFilter("goautoml.trial", "german-credit/3")
	fmt.Println(f)
	// Output: tags."goautoml.trial" = 'german-credit/3'
}
