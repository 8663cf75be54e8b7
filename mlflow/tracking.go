package mlflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const apiPrefix = "/api/2.0/mlflow"

// GetExperimentByName returns the experiment named name. A missing experiment is an error for
// which IsNotFound is true.
func (c *Client) GetExperimentByName(ctx context.Context, name string) (*Experiment, error) {
	var out struct {
		Experiment Experiment `json:"experiment"`
	}
	q := url.Values{"experiment_name": {name}}
	if err := c.callJSON(ctx, "GET", apiPrefix+"/experiments/get-by-name", q, nil, &out); err != nil {
		return nil, err
	}
	return &out.Experiment, nil
}

// CreateExperimentRequest is the body of experiments/create.
type CreateExperimentRequest struct {
	Name             string `json:"name"`
	ArtifactLocation string `json:"artifact_location,omitempty"`
	Tags             []Tag  `json:"tags,omitempty"`
}

// CreateExperiment creates an experiment and returns its id. An existing name is an error for
// which IsAlreadyExists is true.
func (c *Client) CreateExperiment(ctx context.Context, req CreateExperimentRequest) (string, error) {
	if req.Name == "" {
		return "", errors.New("mlflow: create experiment: empty name")
	}
	var out struct {
		ExperimentID string `json:"experiment_id"`
	}
	if err := c.callJSON(ctx, "POST", apiPrefix+"/experiments/create", nil, req, &out); err != nil {
		return "", err
	}
	return out.ExperimentID, nil
}

// GetOrCreateExperiment returns the id of the experiment named name, creating it (with tags)
// when it does not exist. Safe to repeat: a create whose answer was lost shows up as
// RESOURCE_ALREADY_EXISTS on the retry, and the experiment is then looked up again.
func (c *Client) GetOrCreateExperiment(ctx context.Context, name string, tags []Tag) (string, error) {
	exp, err := c.GetExperimentByName(ctx, name)
	if err == nil {
		if exp.LifecycleStage == "deleted" {
			return "", fmt.Errorf("mlflow: experiment %q (id %s) is deleted; restore it or pick another name", name, exp.ExperimentID)
		}
		return exp.ExperimentID, nil
	}
	if !IsNotFound(err) {
		return "", err
	}
	id, err := c.CreateExperiment(ctx, CreateExperimentRequest{Name: name, Tags: tags})
	if err == nil {
		return id, nil
	}
	if !IsAlreadyExists(err) {
		return "", err
	}
	exp, err = c.GetExperimentByName(ctx, name)
	if err != nil {
		return "", err
	}
	return exp.ExperimentID, nil
}

// CreateRunRequest is the body of runs/create. StartTime is in Unix milliseconds; 0 means now.
type CreateRunRequest struct {
	ExperimentID string `json:"experiment_id"`
	RunName      string `json:"run_name,omitempty"`
	StartTime    int64  `json:"start_time,omitempty"`
	Tags         []Tag  `json:"tags,omitempty"`
}

// CreateRun creates a run. It is retried like every call, so a create that succeeded on the
// server but whose answer was lost makes a second run; use GetOrCreateRun to avoid that.
func (c *Client) CreateRun(ctx context.Context, req CreateRunRequest) (*Run, error) {
	return c.createRun(ctx, req, c.Retry)
}

func (c *Client) createRun(ctx context.Context, req CreateRunRequest, pol RetryPolicy) (*Run, error) {
	if req.ExperimentID == "" {
		return nil, errors.New("mlflow: create run: empty experiment id")
	}
	if req.StartTime == 0 {
		req.StartTime = time.Now().UnixMilli()
	}
	var out struct {
		Run Run `json:"run"`
	}
	if err := c.callJSONPolicy(ctx, pol, "POST", apiPrefix+"/runs/create", nil, req, &out); err != nil {
		return nil, err
	}
	return &out.Run, nil
}

// GetRun returns the run with its latest metrics, params and tags.
func (c *Client) GetRun(ctx context.Context, runID string) (*Run, error) {
	var out struct {
		Run Run `json:"run"`
	}
	if err := c.callJSON(ctx, "GET", apiPrefix+"/runs/get", url.Values{"run_id": {runID}}, nil, &out); err != nil {
		return nil, err
	}
	return &out.Run, nil
}

// UpdateRunRequest is the body of runs/update. EndTime is in Unix milliseconds.
type UpdateRunRequest struct {
	RunID   string `json:"run_id"`
	Status  string `json:"status,omitempty"`
	EndTime int64  `json:"end_time,omitempty"`
	RunName string `json:"run_name,omitempty"`
}

// UpdateRun changes a run's status, end time or name and returns the new run info.
func (c *Client) UpdateRun(ctx context.Context, req UpdateRunRequest) (*RunInfo, error) {
	var out struct {
		RunInfo RunInfo `json:"run_info"`
	}
	if err := c.callJSON(ctx, "POST", apiPrefix+"/runs/update", nil, req, &out); err != nil {
		return nil, err
	}
	return &out.RunInfo, nil
}

// SetTag sets one run tag (overwriting an earlier value).
func (c *Client) SetTag(ctx context.Context, runID, key, value string) error {
	req := struct {
		RunID string `json:"run_id"`
		Key   string `json:"key"`
		Value string `json:"value"`
	}{runID, key, value}
	return c.callJSON(ctx, "POST", apiPrefix+"/runs/set-tag", nil, req, nil)
}

// SearchRunsRequest is the body of runs/search.
type SearchRunsRequest struct {
	ExperimentIDs []string `json:"experiment_ids"`
	Filter        string   `json:"filter,omitempty"`
	RunViewType   string   `json:"run_view_type,omitempty"` // ACTIVE_ONLY (default), DELETED_ONLY, ALL
	MaxResults    int      `json:"max_results,omitempty"`
	OrderBy       []string `json:"order_by,omitempty"`
	PageToken     string   `json:"page_token,omitempty"`
}

// SearchRunsPage is one page of runs/search; NextPageToken is "" on the last page.
type SearchRunsPage struct {
	Runs          []Run  `json:"runs"`
	NextPageToken string `json:"next_page_token"`
}

// SearchRuns returns one page of runs matching req.
func (c *Client) SearchRuns(ctx context.Context, req SearchRunsRequest) (*SearchRunsPage, error) {
	var out SearchRunsPage
	if err := c.callJSON(ctx, "POST", apiPrefix+"/runs/search", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// TagFilter returns the runs/search filter tags."key" = 'value'. Keys may hold any character but
// a double quote; values any but a single quote (MLflow's filter grammar has no escapes).
func TagFilter(key, value string) (string, error) {
	if key == "" || strings.ContainsRune(key, '"') {
		return "", fmt.Errorf("mlflow: tag key %q cannot be used in a filter (empty or holds a double quote)", key)
	}
	if strings.ContainsRune(value, '\'') {
		return "", fmt.Errorf("mlflow: tag value %q cannot be used in a filter (holds a single quote)", value)
	}
	return `tags."` + key + `" = '` + value + `'`, nil
}

// FindRunByTag returns the active run of the experiment whose tag key equals value, or nil (and
// no error) when there is none. When several runs match, the earliest started (then smallest
// run id) is returned, so every caller settles on the same one.
func (c *Client) FindRunByTag(ctx context.Context, experimentID, key, value string) (*Run, error) {
	filter, err := TagFilter(key, value)
	if err != nil {
		return nil, err
	}
	req := SearchRunsRequest{ExperimentIDs: []string{experimentID}, Filter: filter, RunViewType: "ACTIVE_ONLY", MaxResults: 100}
	var best *Run
	for {
		page, err := c.SearchRuns(ctx, req)
		if err != nil {
			return nil, err
		}
		for i := range page.Runs {
			r := &page.Runs[i]
			if v, ok := r.Data.Tag(key); ok && v != value {
				continue // a server that ignored the filter
			}
			if best == nil || r.Info.StartTime < best.Info.StartTime ||
				r.Info.StartTime == best.Info.StartTime && r.Info.RunID < best.Info.RunID {
				best = r
			}
		}
		if page.NextPageToken == "" || page.NextPageToken == req.PageToken {
			return best, nil
		}
		req.PageToken = page.NextPageToken
	}
}

// GetOrCreateRun returns the run of req.ExperimentID tagged key=value, creating it (with that tag
// added to req.Tags) when there is none. Each creation attempt is a single request preceded by
// a FindRunByTag, so a create that succeeded on the server but whose answer was lost is found
// instead of made twice. created reports whether this call made the run. Retries follow
// c.Retry, counted over the whole find-then-create cycle.
func (c *Client) GetOrCreateRun(ctx context.Context, req CreateRunRequest, key, value string) (run *Run, created bool, err error) {
	if _, err := TagFilter(key, value); err != nil {
		return nil, false, err
	}
	req.Tags = append(append([]Tag(nil), req.Tags...), Tag{Key: key, Value: value})
	c.init()
	pol := c.Retry.withDefaults()
	once := pol
	once.MaxAttempts = 1
	start := time.Now()
	for attempt := 1; ; attempt++ {
		found, err := c.FindRunByTag(ctx, req.ExperimentID, key, value)
		if err != nil {
			return nil, false, err
		}
		if found != nil {
			return found, false, nil
		}
		run, err := c.createRun(ctx, req, once)
		if err == nil {
			return run, true, nil
		}
		var apiErr *APIError
		if errors.As(err, &apiErr) && !retryableStatus(apiErr.StatusCode) || ctx.Err() != nil {
			return nil, false, err
		}
		if attempt >= pol.MaxAttempts {
			return nil, false, fmt.Errorf("mlflow: get or create run: gave up after %d attempts: %w", attempt, err)
		}
		wait := c.nextWait(pol, attempt, err)
		if time.Since(start)+wait > pol.MaxElapsed {
			return nil, false, fmt.Errorf("mlflow: get or create run: gave up after %d attempts: %w", attempt, err)
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, false, err
		}
	}
}

// nextWait is the backoff after a failed attempt, at least the Retry-After err carries.
func (c *Client) nextWait(pol RetryPolicy, attempt int, err error) time.Duration {
	c.mu.Lock()
	wait := pol.backoff(attempt, c.rng)
	c.mu.Unlock()
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		wait = max(wait, apiErr.RetryAfter)
	}
	return wait
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// GetMetricHistory returns every logged value of a run's metric. max_results is always sent
// (MLflow 3.x requires it); pages are followed.
func (c *Client) GetMetricHistory(ctx context.Context, runID, key string) ([]Metric, error) {
	q := url.Values{"run_id": {runID}, "metric_key": {key}, "max_results": {strconv.Itoa(25000)}}
	return getAllPages[Metric](ctx, c, "/metrics/get-history", q, "metrics")
}

// getAllPages GETs path with q, following next_page_token until the last
// page, and gathers the items of the response's field list.
func getAllPages[T any](ctx context.Context, c *Client, path string, q url.Values, field string) ([]T, error) {
	var all []T
	token := ""
	for {
		if token != "" {
			q.Set("page_token", token)
		}
		var out map[string]json.RawMessage
		if err := c.callJSON(ctx, "GET", apiPrefix+path, q, nil, &out); err != nil {
			return nil, err
		}
		var page []T
		if raw, ok := out[field]; ok {
			if err := json.Unmarshal(raw, &page); err != nil {
				return nil, fmt.Errorf("mlflow: %s: field %q: %w", path, field, err)
			}
		}
		all = append(all, page...)
		var next string
		if raw, ok := out["next_page_token"]; ok {
			if err := json.Unmarshal(raw, &next); err != nil {
				return nil, fmt.Errorf("mlflow: %s: next_page_token: %w", path, err)
			}
		}
		if next == "" || next == token {
			return all, nil
		}
		token = next
	}
}
