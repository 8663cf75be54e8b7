package mlflowtest

import (
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

type registeredModel struct {
	Name, Description string
	Created, Updated  int64
	Tags              []kv
	Versions          []*modelVersion
	Aliases           map[string]string // alias -> version
}

type modelVersion struct {
	Name, Version, Source, RunID, RunLink, Description string
	Created                                            int64
	Tags                                               []kv
}

func (m *registeredModel) wire() map[string]any {
	out := map[string]any{"name": m.Name, "creation_timestamp": m.Created, "last_updated_timestamp": m.Updated}
	if m.Description != "" {
		out["description"] = m.Description
	}
	if len(m.Tags) > 0 {
		out["tags"] = m.Tags
	}
	if len(m.Aliases) > 0 {
		var as []map[string]string
		for a, v := range m.Aliases {
			as = append(as, map[string]string{"alias": a, "version": v})
		}
		sort.Slice(as, func(i, j int) bool { return as[i]["alias"] < as[j]["alias"] })
		out["aliases"] = as
	}
	if n := len(m.Versions); n > 0 {
		out["latest_versions"] = []map[string]any{m.versionWire(m.Versions[n-1])}
	}
	return out
}

func (m *registeredModel) versionWire(v *modelVersion) map[string]any {
	out := map[string]any{"name": m.Name, "version": v.Version, "creation_timestamp": v.Created,
		"last_updated_timestamp": v.Created, "current_stage": "None", "source": v.Source, "status": "READY"}
	if v.RunID != "" {
		out["run_id"] = v.RunID
	}
	if v.RunLink != "" {
		out["run_link"] = v.RunLink
	}
	if v.Description != "" {
		out["description"] = v.Description
	}
	if len(v.Tags) > 0 {
		out["tags"] = v.Tags
	}
	var aliases []string
	for a, ver := range m.Aliases {
		if ver == v.Version {
			aliases = append(aliases, a)
		}
	}
	if len(aliases) > 0 {
		sort.Strings(aliases)
		out["aliases"] = aliases
	}
	return out
}

func (s *Server) createRegisteredModel(w http.ResponseWriter, r *http.Request) *apiError {
	o, e := readBody(r)
	if e != nil {
		return e
	}
	name, e := o.str("name", true)
	if e != nil {
		return e
	}
	desc, e := o.str("description", false)
	if e != nil {
		return e
	}
	tags, e := o.keyValues("tags")
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.models[name] != nil {
		return exists("Registered Model (name=%s) already exists.", name)
	}
	now := time.Now().UnixMilli()
	m := &registeredModel{Name: name, Description: desc, Created: now, Updated: now, Tags: tags, Aliases: map[string]string{}}
	s.models[name] = m
	writeJSON(w, http.StatusOK, map[string]any{"registered_model": m.wire()})
	return nil
}

func (s *Server) model(name string) (*registeredModel, *apiError) {
	m := s.models[name]
	if m == nil {
		return nil, notFound("Registered Model with name=%s not found", name)
	}
	return m, nil
}

func (s *Server) getRegisteredModel(w http.ResponseWriter, r *http.Request) *apiError {
	name, e := queryObject(r).str("name", true)
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, e := s.model(name)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, map[string]any{"registered_model": m.wire()})
	return nil
}

// updateRegisteredModel is PATCH registered-models/update: a new description, and
// last_updated_timestamp set to now, as MLflow's registry does.
func (s *Server) updateRegisteredModel(w http.ResponseWriter, r *http.Request) *apiError {
	o, e := readBody(r)
	if e != nil {
		return e
	}
	name, e := o.str("name", true)
	if e != nil {
		return e
	}
	desc, e := o.str("description", false)
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, e := s.model(name)
	if e != nil {
		return e
	}
	m.Description = desc
	m.Updated = max(m.Updated+1, time.Now().UnixMilli())
	writeJSON(w, http.StatusOK, map[string]any{"registered_model": m.wire()})
	return nil
}

// deleteRegisteredModel is DELETE registered-models/delete: the model, its versions and
// aliases are gone (MLflow deletes them, no soft delete).
func (s *Server) deleteRegisteredModel(w http.ResponseWriter, r *http.Request) *apiError {
	o, e := readBody(r)
	if e != nil {
		return e
	}
	name, e := o.str("name", true)
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, e := s.model(name); e != nil {
		return e
	}
	delete(s.models, name)
	writeJSON(w, http.StatusOK, map[string]any{})
	return nil
}

func (s *Server) createModelVersion(w http.ResponseWriter, r *http.Request) *apiError {
	o, e := readBody(r)
	if e != nil {
		return e
	}
	var v modelVersion
	name, e := o.str("name", true)
	if e != nil {
		return e
	}
	if v.Source, e = o.str("source", true); e != nil {
		return e
	}
	if v.RunID, e = o.str("run_id", false); e != nil {
		return e
	}
	if v.RunLink, e = o.str("run_link", false); e != nil {
		return e
	}
	if v.Description, e = o.str("description", false); e != nil {
		return e
	}
	if v.Tags, e = o.keyValues("tags"); e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, e := s.model(name)
	if e != nil {
		return e
	}
	v.Name = name
	v.Version = strconv.Itoa(len(m.Versions) + 1)
	v.Created = time.Now().UnixMilli()
	m.Versions = append(m.Versions, &v)
	m.Updated = v.Created
	writeJSON(w, http.StatusOK, map[string]any{"model_version": m.versionWire(&v)})
	return nil
}

// searchModelVersions supports filters of name and run_id equalities joined by AND.
func (s *Server) searchModelVersions(w http.ResponseWriter, r *http.Request) *apiError {
	q := queryObject(r)
	filter, e := q.str("filter", false)
	if e != nil {
		return e
	}
	if _, e = q.i64("max_results", false); e != nil {
		return e
	}
	clauses, e := parseFilter(filter)
	if e != nil {
		return e
	}
	for _, c := range clauses {
		if c.entity != "attributes" || c.op != "=" || c.key != "name" && c.key != "run_id" && c.key != "source_path" {
			return invalid("Invalid filter '%s': model version search supports name, run_id and source_path equalities", filter)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for n := range s.models {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []map[string]any
	for _, n := range names {
		m := s.models[n]
		for _, v := range m.Versions {
			ok := true
			for _, c := range clauses {
				switch c.key {
				case "name":
					ok = ok && n == c.value
				case "run_id":
					ok = ok && v.RunID == c.value
				default:
					ok = ok && v.Source == c.value
				}
			}
			if ok {
				out = append(out, m.versionWire(v))
			}
		}
	}
	body := map[string]any{}
	if len(out) > 0 {
		body["model_versions"] = out
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

var versionLike = regexp.MustCompile(`^[vV]\d+$`)

func (s *Server) setAlias(w http.ResponseWriter, r *http.Request) *apiError {
	o, e := readBody(r)
	if e != nil {
		return e
	}
	name, e := o.str("name", true)
	if e != nil {
		return e
	}
	alias, e := o.str("alias", true)
	if e != nil {
		return e
	}
	version, e := o.str("version", true)
	if e != nil {
		return e
	}
	if strings.EqualFold(alias, "latest") || versionLike.MatchString(alias) || len(alias) > 255 {
		return invalid("'%s' alias name (case insensitive) is reserved, or is too long.", alias)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, e := s.model(name)
	if e != nil {
		return e
	}
	found := false
	for _, v := range m.Versions {
		found = found || v.Version == version
	}
	if !found {
		return notFound("Model Version (name=%s, version=%s) not found", name, version)
	}
	m.Aliases[alias] = version
	writeJSON(w, http.StatusOK, map[string]any{})
	return nil
}

func (s *Server) getAlias(w http.ResponseWriter, r *http.Request) *apiError {
	q := queryObject(r)
	name, e := q.str("name", true)
	if e != nil {
		return e
	}
	alias, e := q.str("alias", true)
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, e := s.model(name)
	if e != nil {
		return e
	}
	ver, ok := m.Aliases[alias]
	if !ok {
		return notFound("Registered model alias %s not found.", alias)
	}
	for _, v := range m.Versions {
		if v.Version == ver {
			writeJSON(w, http.StatusOK, map[string]any{"model_version": m.versionWire(v)})
			return nil
		}
	}
	return notFound("Registered model alias %s not found.", alias)
}
