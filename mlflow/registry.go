package mlflow

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// CreateRegisteredModel creates a registered model. An existing name is an error for which
// IsAlreadyExists is true.
func (c *Client) CreateRegisteredModel(ctx context.Context, name, description string, tags []Tag) (*RegisteredModel, error) {
	if name == "" {
		return nil, errors.New("mlflow: create registered model: empty name")
	}
	req := struct {
		Name        string `json:"name"`
		Description string `json:"description,omitempty"`
		Tags        []Tag  `json:"tags,omitempty"`
	}{name, description, tags}
	var out struct {
		RegisteredModel RegisteredModel `json:"registered_model"`
	}
	if err := c.callJSON(ctx, "POST", apiPrefix+"/registered-models/create", nil, req, &out); err != nil {
		return nil, err
	}
	return &out.RegisteredModel, nil
}

// GetRegisteredModel returns the registered model named name.
func (c *Client) GetRegisteredModel(ctx context.Context, name string) (*RegisteredModel, error) {
	var out struct {
		RegisteredModel RegisteredModel `json:"registered_model"`
	}
	if err := c.callJSON(ctx, "GET", apiPrefix+"/registered-models/get", url.Values{"name": {name}}, nil, &out); err != nil {
		return nil, err
	}
	return &out.RegisteredModel, nil
}

// EnsureRegisteredModel creates the registered model unless it exists already.
func (c *Client) EnsureRegisteredModel(ctx context.Context, name, description string, tags []Tag) error {
	_, err := c.CreateRegisteredModel(ctx, name, description, tags)
	if err != nil && !IsAlreadyExists(err) {
		return err
	}
	return nil
}

// CreateModelVersionRequest is the body of model-versions/create. Source must be the run's
// artifact_uri plus the model directory (ArtifactUploader.URI("model")): a runs:/ source
// registers, but MLflow's registry view of the model then fails.
type CreateModelVersionRequest struct {
	Name        string `json:"name"`
	Source      string `json:"source"`
	RunID       string `json:"run_id,omitempty"`
	RunLink     string `json:"run_link,omitempty"`
	Description string `json:"description,omitempty"`
	Tags        []Tag  `json:"tags,omitempty"`
}

// CreateModelVersion registers a new version. Retried like every call, so a lost answer can
// make two versions; GetOrCreateModelVersion avoids that.
func (c *Client) CreateModelVersion(ctx context.Context, req CreateModelVersionRequest) (*ModelVersion, error) {
	return c.createModelVersion(ctx, req, c.Retry)
}

func (c *Client) createModelVersion(ctx context.Context, req CreateModelVersionRequest, pol RetryPolicy) (*ModelVersion, error) {
	if req.Name == "" || req.Source == "" {
		return nil, errors.New("mlflow: create model version: name and source are required")
	}
	if strings.HasPrefix(req.Source, "runs:/") {
		return nil, fmt.Errorf("mlflow: create model version: source %q: use the run's artifact_uri + /<model dir> (runs:/ sources break the registry's model view)", req.Source)
	}
	var out struct {
		ModelVersion ModelVersion `json:"model_version"`
	}
	if err := c.callJSONPolicy(ctx, pol, "POST", apiPrefix+"/model-versions/create", nil, req, &out); err != nil {
		return nil, err
	}
	return &out.ModelVersion, nil
}

// SearchModelVersions returns the versions matching filter (e.g. "name='m' and run_id='r'").
func (c *Client) SearchModelVersions(ctx context.Context, filter string) ([]ModelVersion, error) {
	q := url.Values{"filter": {filter}, "max_results": {"1000"}}
	return getAllPages[ModelVersion](ctx, c, "/model-versions/search", q, "model_versions")
}

// GetOrCreateModelVersion returns the version of req.Name registered from req.RunID with
// req.Source, creating it when there is none. Like GetOrCreateRun, every creation attempt is
// one request preceded by a search, so a lost answer does not make a second version.
// req.RunID is required.
func (c *Client) GetOrCreateModelVersion(ctx context.Context, req CreateModelVersionRequest) (mv *ModelVersion, created bool, err error) {
	if req.RunID == "" || strings.ContainsRune(req.RunID, '\'') || strings.ContainsRune(req.Name, '\'') {
		return nil, false, fmt.Errorf("mlflow: get or create model version: need a run id and quote-free name (name %q, run %q)", req.Name, req.RunID)
	}
	filter := fmt.Sprintf("name='%s' and run_id='%s'", req.Name, req.RunID)
	c.init()
	pol := c.Retry.withDefaults()
	once := pol
	once.MaxAttempts = 1
	start := time.Now()
	for attempt := 1; ; attempt++ {
		found, err := c.SearchModelVersions(ctx, filter)
		if err != nil {
			return nil, false, err
		}
		var best *ModelVersion
		for i := range found {
			v := &found[i]
			if v.Source == req.Source && (best == nil || versionLess(v.Version, best.Version)) {
				best = v
			}
		}
		if best != nil {
			return best, false, nil
		}
		mv, err := c.createModelVersion(ctx, req, once)
		if err == nil {
			return mv, true, nil
		}
		var apiErr *APIError
		if errors.As(err, &apiErr) && !retryableStatus(apiErr.StatusCode) || ctx.Err() != nil {
			return nil, false, err
		}
		wait := c.nextWait(pol, attempt, err)
		if attempt >= pol.MaxAttempts || time.Since(start)+wait > pol.MaxElapsed {
			return nil, false, fmt.Errorf("mlflow: get or create model version: gave up after %d attempts: %w", attempt, err)
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, false, err
		}
	}
}

func versionLess(a, b string) bool {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	if errA == nil && errB == nil {
		return x < y
	}
	return a < b
}

// SetAlias points alias at version of the registered model name
// (POST registered-models/alias). Aliases are unique per model; setting one moves it.
func (c *Client) SetAlias(ctx context.Context, name, alias, version string) error {
	req := struct {
		Name    string `json:"name"`
		Alias   string `json:"alias"`
		Version string `json:"version"`
	}{name, alias, version}
	return c.callJSON(ctx, "POST", apiPrefix+"/registered-models/alias", nil, req, nil)
}

// GetVersionByAlias returns the version that alias points at.
func (c *Client) GetVersionByAlias(ctx context.Context, name, alias string) (*ModelVersion, error) {
	var out struct {
		ModelVersion ModelVersion `json:"model_version"`
	}
	q := url.Values{"name": {name}, "alias": {alias}}
	if err := c.callJSON(ctx, "GET", apiPrefix+"/registered-models/alias", q, nil, &out); err != nil {
		return nil, err
	}
	return &out.ModelVersion, nil
}

// UpdateRegisteredModel replaces the description of the registered model name
// (PATCH registered-models/update); the server sets its last_updated_timestamp.
func (c *Client) UpdateRegisteredModel(ctx context.Context, name, description string) error {
	req := struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}{name, description}
	return c.callJSON(ctx, "PATCH", apiPrefix+"/registered-models/update", nil, req, nil)
}

// DeleteRegisteredModel deletes the registered model name and its versions
// (DELETE registered-models/delete).
func (c *Client) DeleteRegisteredModel(ctx context.Context, name string) error {
	req := struct {
		Name string `json:"name"`
	}{name}
	return c.callJSON(ctx, "DELETE", apiPrefix+"/registered-models/delete", nil, req, nil)
}
