package mlflowtest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

type experiment struct {
	ID, Name, ArtifactLocation string
	Created, Updated           int64
	Tags                       []kv
}

type run struct {
	ID, ExperimentID, Name, UserID, Status, ArtifactURI string
	StartTime, EndTime                                  int64
	Tags, Params                                        []kv
	Metrics                                             []metric
}

type metric struct {
	Key             string
	Value           float64
	Timestamp, Step int64
}

// MarshalJSON writes protobuf JSON: NaN and ±Inf as strings.
func (m metric) MarshalJSON() ([]byte, error) {
	var v any = m.Value
	switch {
	case math.IsNaN(m.Value):
		v = "NaN"
	case math.IsInf(m.Value, 1):
		v = "Infinity"
	case math.IsInf(m.Value, -1):
		v = "-Infinity"
	}
	return json.Marshal(map[string]any{"key": m.Key, "value": v, "timestamp": m.Timestamp, "step": m.Step})
}

func (e *experiment) wire() map[string]any {
	out := map[string]any{"experiment_id": e.ID, "name": e.Name, "artifact_location": e.ArtifactLocation,
		"lifecycle_stage": "active", "creation_time": e.Created, "last_update_time": e.Updated}
	if len(e.Tags) > 0 {
		out["tags"] = e.Tags
	}
	return out
}

func (r *run) info() map[string]any {
	out := map[string]any{"run_id": r.ID, "run_uuid": r.ID, "run_name": r.Name, "experiment_id": r.ExperimentID,
		"user_id": r.UserID, "status": r.Status, "start_time": r.StartTime, "artifact_uri": r.ArtifactURI,
		"lifecycle_stage": "active"}
	if r.EndTime != 0 {
		out["end_time"] = r.EndTime
	}
	return out
}

// latest returns the latest value of each metric (highest step, then timestamp, then value),
// as MLflow's run data holds.
func (r *run) latest() []metric {
	idx := map[string]int{}
	var out []metric
	for _, m := range r.Metrics {
		i, ok := idx[m.Key]
		if !ok {
			idx[m.Key] = len(out)
			out = append(out, m)
			continue
		}
		o := out[i]
		if m.Step > o.Step || m.Step == o.Step && (m.Timestamp > o.Timestamp || m.Timestamp == o.Timestamp && m.Value > o.Value) {
			out[i] = m
		}
	}
	return out
}

func (r *run) wire() map[string]any {
	data := map[string]any{}
	if ms := r.latest(); len(ms) > 0 {
		data["metrics"] = ms
	}
	if len(r.Params) > 0 {
		data["params"] = r.Params
	}
	if len(r.Tags) > 0 {
		data["tags"] = r.Tags
	}
	return map[string]any{"info": r.info(), "data": data, "inputs": map[string]any{}}
}

func (r *run) setTag(key, value string) {
	for i := range r.Tags {
		if r.Tags[i].Key == key {
			r.Tags[i].Value = value
			return
		}
	}
	r.Tags = append(r.Tags, kv{key, value})
}

func (s *Server) experimentByID(id string) *experiment {
	for _, e := range s.experiments {
		if e.ID == id {
			return e
		}
	}
	return nil
}

func (s *Server) getExperimentByName(w http.ResponseWriter, r *http.Request) *apiError {
	name, e := queryObject(r).str("experiment_name", true)
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, exp := range s.experiments {
		if exp.Name == name {
			writeJSON(w, http.StatusOK, map[string]any{"experiment": exp.wire()})
			return nil
		}
	}
	return notFound("Could not find experiment with name '%s'", name)
}

func (s *Server) createExperiment(w http.ResponseWriter, r *http.Request) *apiError {
	o, e := readBody(r)
	if e != nil {
		return e
	}
	name, e := o.str("name", true)
	if e != nil {
		return e
	}
	loc, e := o.str("artifact_location", false)
	if e != nil {
		return e
	}
	tags, e := o.keyValues("tags")
	if e != nil {
		return e
	}
	for _, t := range tags {
		if e := checkName("tag", t.Key); e != nil {
			return e
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, exp := range s.experiments {
		if exp.Name == name {
			return exists("Experiment '%s' already exists.", name)
		}
	}
	id := strconv.Itoa(len(s.experiments))
	if loc == "" {
		loc = s.artifactRoot() + id
	}
	now := time.Now().UnixMilli()
	s.experiments = append(s.experiments, &experiment{ID: id, Name: name, ArtifactLocation: loc, Created: now, Updated: now, Tags: tags})
	writeJSON(w, http.StatusOK, map[string]any{"experiment_id": id})
	return nil
}

func (s *Server) createRun(w http.ResponseWriter, r *http.Request) *apiError {
	o, e := readBody(r)
	if e != nil {
		return e
	}
	expID, e := o.str("experiment_id", true)
	if e != nil {
		return e
	}
	name, e := o.str("run_name", false)
	if e != nil {
		return e
	}
	user, e := o.str("user_id", false)
	if e != nil {
		return e
	}
	start, e := o.i64("start_time", false)
	if e != nil {
		return e
	}
	tags, e := o.keyValues("tags")
	if e != nil {
		return e
	}
	for _, t := range tags {
		if e := checkName("tag", t.Key); e != nil {
			return e
		}
		if len([]rune(t.Value)) > maxTagValueLength {
			return invalid("Tag value '%.20s...' had length %d, which exceeded length limit of %d", t.Value, len([]rune(t.Value)), maxTagValueLength)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp := s.experimentByID(expID)
	if exp == nil {
		return notFound("No Experiment with id=%s exists", expID)
	}
	id := s.newRunID()
	if name == "" {
		for _, t := range tags {
			if t.Key == "mlflow.runName" {
				name = t.Value
			}
		}
		if name == "" {
			name = fmt.Sprintf("run-%d", len(s.runs)+1)
		}
	}
	if start == 0 {
		start = time.Now().UnixMilli()
	}
	rn := &run{ID: id, ExperimentID: expID, Name: name, UserID: user, Status: "RUNNING",
		ArtifactURI: exp.ArtifactLocation + "/" + id + "/artifacts", StartTime: start}
	for _, t := range tags {
		rn.setTag(t.Key, t.Value)
	}
	rn.setTag("mlflow.runName", name)
	s.runs = append(s.runs, rn)
	s.runByID[id] = rn
	s.stats.RunsCreated++
	writeJSON(w, http.StatusOK, map[string]any{"run": rn.wire()})
	return nil
}

// runID reads run_id, falling back to the deprecated run_uuid.
func runID(o object) (string, *apiError) {
	id, e := o.str("run_id", false)
	if e != nil || id != "" {
		return id, e
	}
	id, e = o.str("run_uuid", false)
	if e == nil && id == "" {
		e = missing("run_id")
	}
	return id, e
}

func (s *Server) lookupRun(id string) (*run, *apiError) {
	rn := s.runByID[id]
	if rn == nil {
		return nil, notFound("Run with id=%s not found", id)
	}
	return rn, nil
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request) *apiError {
	id, e := runID(queryObject(r))
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rn, e := s.lookupRun(id)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, map[string]any{"run": rn.wire()})
	return nil
}

func (s *Server) logBatch(w http.ResponseWriter, r *http.Request) *apiError {
	o, e := readBody(r)
	if e != nil {
		return e
	}
	id, e := runID(o)
	if e != nil {
		return e
	}
	mobjs, e := o.objects("metrics")
	if e != nil {
		return e
	}
	pobjs, e := o.objects("params")
	if e != nil {
		return e
	}
	tobjs, e := o.objects("tags")
	if e != nil {
		return e
	}
	if n := len(mobjs); n > maxMetricsPerBatch {
		return invalid("A batch logging request can contain at most %d metrics. Got %d metrics. Please split up metrics across multiple requests and try again.", maxMetricsPerBatch, n)
	}
	if n := len(pobjs); n > maxParamsPerBatch {
		return invalid("A batch logging request can contain at most %d params. Got %d params. Please split up params across multiple requests and try again.", maxParamsPerBatch, n)
	}
	if n := len(tobjs); n > maxTagsPerBatch {
		return invalid("A batch logging request can contain at most %d tags. Got %d tags. Please split up tags across multiple requests and try again.", maxTagsPerBatch, n)
	}
	if n := len(mobjs) + len(pobjs) + len(tobjs); n > maxEntitiesPerBatch {
		return invalid("A batch logging request can contain at most %d metrics, params, and tags in total. Got %d. Please split up across multiple requests and try again.", maxEntitiesPerBatch, n)
	}
	var metrics []metric
	for _, mo := range mobjs {
		var m metric
		if m.Key, e = mo.str("key", true); e != nil {
			return e
		}
		if e = checkName("metric", m.Key); e != nil {
			return e
		}
		if m.Value, e = mo.f64("value", true); e != nil {
			return e
		}
		if m.Timestamp, e = mo.i64("timestamp", true); e != nil {
			return e
		}
		if m.Step, e = mo.i64("step", false); e != nil {
			return e
		}
		metrics = append(metrics, m)
	}
	params, e := o.keyValues("params")
	if e != nil {
		return e
	}
	inBatch := map[string]string{}
	var dups []string
	for i := range params {
		if e = checkName("param", params[i].Key); e != nil {
			return e
		}
		params[i].Value = cut(params[i].Value, maxParamValueLength) // measured: cut silently
		if v, ok := inBatch[params[i].Key]; ok && v != params[i].Value {
			dups = append(dups, params[i].Key)
		}
		inBatch[params[i].Key] = params[i].Value
	}
	if len(dups) > 0 {
		return invalid("Duplicate parameter keys have been submitted: %q. Please ensure the request contains only one param value per param key.", dups)
	}
	tags, e := o.keyValues("tags")
	if e != nil {
		return e
	}
	for _, t := range tags {
		if e = checkName("tag", t.Key); e != nil {
			return e
		}
		if len([]rune(t.Value)) > maxTagValueLength {
			return invalid("Tag value '%.20s...' had length %d, which exceeded length limit of %d", t.Value, len([]rune(t.Value)), maxTagValueLength)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rn, e := s.lookupRun(id)
	if e != nil {
		return e
	}
	for _, p := range params {
		for _, old := range rn.Params {
			if old.Key == p.Key && old.Value != p.Value {
				return invalid("Changing param values is not allowed. Param with key='%s' was already logged with value='%s' for run ID='%s'. Attempted logging new value '%s'.", p.Key, old.Value, id, p.Value)
			}
		}
	}
	// Everything is valid: apply. Identical metrics and params are kept once (as MLflow's
	// SQL store does), tags are overwritten.
	for _, m := range metrics {
		dup := false
		for _, old := range rn.Metrics {
			if old.Key == m.Key && old.Timestamp == m.Timestamp && old.Step == m.Step &&
				(old.Value == m.Value || math.IsNaN(old.Value) && math.IsNaN(m.Value)) {
				dup = true
				break
			}
		}
		if !dup {
			rn.Metrics = append(rn.Metrics, m)
		}
	}
	for _, p := range params {
		known := false
		for _, old := range rn.Params {
			known = known || old.Key == p.Key
		}
		if !known {
			rn.Params = append(rn.Params, p)
		}
	}
	for _, t := range tags {
		rn.setTag(t.Key, t.Value)
	}
	writeJSON(w, http.StatusOK, map[string]any{})
	return nil
}

var runStatuses = map[string]bool{"RUNNING": true, "SCHEDULED": true, "FINISHED": true, "FAILED": true, "KILLED": true}

func (s *Server) updateRun(w http.ResponseWriter, r *http.Request) *apiError {
	o, e := readBody(r)
	if e != nil {
		return e
	}
	id, e := runID(o)
	if e != nil {
		return e
	}
	status, e := o.str("status", false)
	if e != nil {
		return e
	}
	if status != "" && !runStatuses[status] {
		return badType("status", o["status"], "one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED")
	}
	end, e := o.i64("end_time", false)
	if e != nil {
		return e
	}
	name, e := o.str("run_name", false)
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rn, e := s.lookupRun(id)
	if e != nil {
		return e
	}
	if status != "" {
		rn.Status = status
	}
	if end != 0 {
		rn.EndTime = end
	}
	if name != "" {
		rn.Name = name
		rn.setTag("mlflow.runName", name)
	}
	writeJSON(w, http.StatusOK, map[string]any{"run_info": rn.info()})
	return nil
}

func (s *Server) setTag(w http.ResponseWriter, r *http.Request) *apiError {
	o, e := readBody(r)
	if e != nil {
		return e
	}
	id, e := runID(o)
	if e != nil {
		return e
	}
	key, e := o.str("key", true)
	if e != nil {
		return e
	}
	if e = checkName("tag", key); e != nil {
		return e
	}
	if !o.has("value") {
		return missing("value")
	}
	value, e := o.str("value", false)
	if e != nil {
		return e
	}
	if len([]rune(value)) > maxTagValueLength {
		return invalid("Tag value '%.20s...' had length %d, which exceeded length limit of %d", value, len([]rune(value)), maxTagValueLength)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rn, e := s.lookupRun(id)
	if e != nil {
		return e
	}
	rn.setTag(key, value)
	writeJSON(w, http.StatusOK, map[string]any{})
	return nil
}

func (s *Server) metricHistory(w http.ResponseWriter, r *http.Request) *apiError {
	q := queryObject(r)
	id, e := runID(q)
	if e != nil {
		return e
	}
	key, e := q.str("metric_key", true)
	if e != nil {
		return e
	}
	// MLflow 3.x refuses the call without max_results.
	max, e := q.i64("max_results", true)
	if e != nil {
		return e
	}
	if max <= 0 || max > 25000 {
		return invalid("Invalid value %d for parameter 'max_results': it must be between 1 and 25000", max)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rn, e := s.lookupRun(id)
	if e != nil {
		return e
	}
	var out []metric
	for _, m := range rn.Metrics {
		if m.Key == key && int64(len(out)) < max {
			out = append(out, m)
		}
	}
	body := map[string]any{}
	if len(out) > 0 {
		body["metrics"] = out
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}
