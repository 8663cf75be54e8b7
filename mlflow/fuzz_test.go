package mlflow

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"
)

// replay answers every request with one status and body.
type replay struct {
	status int
	body   []byte
}

func (r replay) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{StatusCode: r.status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(r.body)), ContentLength: int64(len(r.body)), Request: req}, nil
}

// FuzzResponses feeds arbitrary tracking-server answers to the client's
// calls: each returns a value or an error, never panics, never loops.
func FuzzResponses(f *testing.F) {
	f.Add(200, []byte(`{"experiment":{"experiment_id":"1","name":"e","lifecycle_stage":"active"}}`))
	f.Add(200, []byte(`{"run":{"info":{"run_id":"r","experiment_id":"1","status":"FINISHED"},"data":{"metrics":[{"key":"auc","value":0.9,"timestamp":1,"step":0}],"params":[{"key":"c","value":"1"}],"tags":[]}}}`))
	f.Add(200, []byte(`{"runs":[{"info":{"run_id":"r"}}],"next_page_token":"x"}`))
	f.Add(200, []byte(`{"metrics":[{"key":"auc","value":"NaN"}],"next_page_token":"t"}`))
	f.Add(200, []byte(`{"model_versions":[{"name":"m","version":"1","run_id":"r","tags":[{"key":"k"}]}]}`))
	f.Add(404, []byte(`{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"no"}`))
	f.Add(500, []byte(`<html>oops</html>`))
	f.Add(200, []byte(`null`))
	f.Add(200, []byte(`{"run":null,"runs":[null],"experiment":[]}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			status = 200
		}
		c := &Client{BaseURL: "http://mlflow.invalid", HTTP: &http.Client{Transport: replay{status, body}},
			Retry: RetryPolicy{MaxAttempts: 1, MaxElapsed: time.Second}}
		ctx := context.Background()
		c.GetExperimentByName(ctx, "e")
		c.GetOrCreateExperiment(ctx, "e", nil)
		c.GetRun(ctx, "r")
		c.SearchRuns(ctx, SearchRunsRequest{ExperimentIDs: []string{"1"}})
		c.FindRunByTag(ctx, "1", "k", "v")
		c.GetMetricHistory(ctx, "r", "auc")
		c.GetRegisteredModel(ctx, "m")
		c.SearchModelVersions(ctx, "name='m'")
		c.GetOrCreateModelVersion(ctx, CreateModelVersionRequest{Name: "m", Source: "s", RunID: "r"})
		c.GetVersionByAlias(ctx, "m", "best")
	})
}
