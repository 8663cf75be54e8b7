package mlflow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Int64 is an integer that decodes from a JSON number or a JSON string: MLflow answers int64
// fields as numbers, protobuf's JSON mapping (and some deployments) as strings.
type Int64 int64

// UnmarshalJSON accepts 123, "123" and null.
func (n *Int64) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(s)
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("mlflow: %q is not an int64", b)
	}
	*n = Int64(v)
	return nil
}

// Tag is a key/value pair on an experiment, run, registered model or model version.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Param is a run parameter. MLflow stores a param once; re-logging the same value is allowed,
// a different value is an error.
type Param struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Metric is one value of a run metric. Timestamp is in milliseconds since the Unix epoch.
// NaN and ±Inf travel as the strings "NaN", "Infinity", "-Infinity" (protobuf's JSON mapping).
type Metric struct {
	Key       string
	Value     float64
	Timestamp int64
	Step      int64
}

type metricJSON struct {
	Key       string          `json:"key"`
	Value     json.RawMessage `json:"value"`
	Timestamp Int64           `json:"timestamp"`
	Step      Int64           `json:"step"`
}

// MarshalJSON writes MLflow's metric object.
func (m Metric) MarshalJSON() ([]byte, error) {
	var v json.RawMessage
	switch {
	case math.IsNaN(m.Value):
		v = json.RawMessage(`"NaN"`)
	case math.IsInf(m.Value, 1):
		v = json.RawMessage(`"Infinity"`)
	case math.IsInf(m.Value, -1):
		v = json.RawMessage(`"-Infinity"`)
	default:
		v = json.RawMessage(strconv.FormatFloat(m.Value, 'g', -1, 64))
	}
	return json.Marshal(struct {
		Key       string          `json:"key"`
		Value     json.RawMessage `json:"value"`
		Timestamp int64           `json:"timestamp"`
		Step      int64           `json:"step"`
	}{m.Key, v, m.Timestamp, m.Step})
}

// UnmarshalJSON reads MLflow's metric object (value as number or NaN/Infinity string).
func (m *Metric) UnmarshalJSON(b []byte) error {
	var j metricJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	m.Key, m.Timestamp, m.Step = j.Key, int64(j.Timestamp), int64(j.Step)
	v, err := parseJSONDouble(j.Value)
	if err != nil {
		return fmt.Errorf("mlflow: metric %q: %w", j.Key, err)
	}
	m.Value = v
	return nil
}

// parseJSONDouble reads a protobuf-JSON double: a number or "NaN", "Infinity", "-Infinity"
// (or a numeric string).
func parseJSONDouble(raw json.RawMessage) (float64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, err
		}
		switch s {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
		return strconv.ParseFloat(s, 64)
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		return 0, fmt.Errorf("value %s is not a number", raw)
	}
	return f, nil
}

// Experiment is MLflow's experiment object.
type Experiment struct {
	ExperimentID     string `json:"experiment_id"`
	Name             string `json:"name"`
	ArtifactLocation string `json:"artifact_location,omitempty"`
	LifecycleStage   string `json:"lifecycle_stage,omitempty"`
	CreationTime     Int64  `json:"creation_time,omitempty"`
	LastUpdateTime   Int64  `json:"last_update_time,omitempty"`
	Tags             []Tag  `json:"tags,omitempty"`
}

// Run statuses (RunStatus enum).
const (
	StatusRunning   = "RUNNING"
	StatusScheduled = "SCHEDULED"
	StatusFinished  = "FINISHED"
	StatusFailed    = "FAILED"
	StatusKilled    = "KILLED"
)

// RunInfo is MLflow's run metadata. ArtifactURI is where the run's artifacts live, e.g.
// "mlflow-artifacts:/1/<run>/artifacts" on a server with artifact serving.
type RunInfo struct {
	RunID          string `json:"run_id"`
	RunUUID        string `json:"run_uuid,omitempty"`
	RunName        string `json:"run_name,omitempty"`
	ExperimentID   string `json:"experiment_id"`
	UserID         string `json:"user_id,omitempty"`
	Status         string `json:"status,omitempty"`
	StartTime      Int64  `json:"start_time,omitempty"`
	EndTime        Int64  `json:"end_time,omitempty"`
	ArtifactURI    string `json:"artifact_uri,omitempty"`
	LifecycleStage string `json:"lifecycle_stage,omitempty"`
}

// RunData holds a run's latest metric values, params and tags.
type RunData struct {
	Metrics []Metric `json:"metrics,omitempty"`
	Params  []Param  `json:"params,omitempty"`
	Tags    []Tag    `json:"tags,omitempty"`
}

// Tag returns the value of the run tag key and whether it is set.
func (d RunData) Tag(key string) (string, bool) {
	for _, t := range d.Tags {
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

// Param returns the value of the param key and whether it is set.
func (d RunData) Param(key string) (string, bool) {
	for _, p := range d.Params {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// Run is MLflow's run object.
type Run struct {
	Info RunInfo `json:"info"`
	Data RunData `json:"data"`
}

// FileInfo is one entry of an artifact listing; Path is relative to the run's artifact root.
type FileInfo struct {
	Path     string `json:"path"`
	IsDir    bool   `json:"is_dir"`
	FileSize Int64  `json:"file_size,omitempty"`
}

// RegisteredModel is the model registry's registered model.
type RegisteredModel struct {
	Name                 string       `json:"name"`
	CreationTimestamp    Int64        `json:"creation_timestamp,omitempty"`
	LastUpdatedTimestamp Int64        `json:"last_updated_timestamp,omitempty"`
	Description          string       `json:"description,omitempty"`
	Tags                 []Tag        `json:"tags,omitempty"`
	Aliases              []ModelAlias `json:"aliases,omitempty"`
}

// ModelAlias points an alias at a version of a registered model.
type ModelAlias struct {
	Alias   string `json:"alias"`
	Version string `json:"version"`
}

// ModelVersion is one version of a registered model. Version is a decimal string ("1").
type ModelVersion struct {
	Name                 string   `json:"name"`
	Version              string   `json:"version"`
	CreationTimestamp    Int64    `json:"creation_timestamp,omitempty"`
	LastUpdatedTimestamp Int64    `json:"last_updated_timestamp,omitempty"`
	Description          string   `json:"description,omitempty"`
	Source               string   `json:"source,omitempty"`
	RunID                string   `json:"run_id,omitempty"`
	RunLink              string   `json:"run_link,omitempty"`
	Status               string   `json:"status,omitempty"`
	CurrentStage         string   `json:"current_stage,omitempty"`
	Tags                 []Tag    `json:"tags,omitempty"`
	Aliases              []string `json:"aliases,omitempty"`
}
