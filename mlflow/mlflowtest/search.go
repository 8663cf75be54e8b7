package mlflowtest

import (
	"encoding/base64"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// clause is one comparison of a search filter: entity.key op value.
type clause struct {
	entity string // "tags", "params", "metrics", "attributes"
	key    string
	op     string
	value  string
	num    float64
}

// parseFilter reads the subset of MLflow's filter grammar the double supports: comparisons
// joined by AND; entity prefixes tags., params., metrics., attributes. (or a bare attribute);
// keys bare or in double quotes or backquotes; string values in single or double quotes;
// numbers for metrics.
func parseFilter(f string) ([]clause, *apiError) {
	f = strings.TrimSpace(f)
	if f == "" {
		return nil, nil
	}
	var out []clause
	rest := f
	for {
		c, tail, e := parseClause(rest, f)
		if e != nil {
			return nil, e
		}
		out = append(out, c)
		tail = strings.TrimSpace(tail)
		if tail == "" {
			return out, nil
		}
		if len(tail) < 4 || !strings.EqualFold(tail[:4], "and ") {
			return nil, invalid("Invalid filter '%s': expected AND before '%s'", f, tail)
		}
		rest = tail[4:]
	}
}

func parseClause(s, whole string) (clause, string, *apiError) {
	var c clause
	s = strings.TrimSpace(s)
	bad := func(why string) (clause, string, *apiError) {
		return c, "", invalid("Invalid filter '%s': %s", whole, why)
	}
	// entity
	c.entity = "attributes"
	if i := strings.IndexByte(s, '.'); i > 0 && !strings.ContainsAny(s[:i], " '\"`=<>!") {
		switch strings.ToLower(s[:i]) {
		case "tags", "tag":
			c.entity = "tags"
		case "params", "param", "parameter", "parameters":
			c.entity = "params"
		case "metrics", "metric":
			c.entity = "metrics"
		case "attributes", "attribute", "attr", "run":
			c.entity = "attributes"
		default:
			return bad("unknown entity type '" + s[:i] + "'")
		}
		s = s[i+1:]
	}
	// key
	if s == "" {
		return bad("missing key")
	}
	if q := s[0]; q == '"' || q == '`' {
		j := strings.IndexByte(s[1:], q)
		if j < 0 {
			return bad("unterminated quoted key")
		}
		c.key, s = s[1:1+j], s[2+j:]
	} else {
		j := strings.IndexAny(s, " =<>!")
		if j <= 0 {
			return bad("missing comparison")
		}
		c.key, s = s[:j], s[j:]
	}
	s = strings.TrimSpace(s)
	// operator
	for _, op := range []string{"!=", "<=", ">=", "=", "<", ">"} {
		if strings.HasPrefix(s, op) {
			c.op, s = op, strings.TrimSpace(s[len(op):])
			break
		}
	}
	if c.op == "" {
		return bad("expected one of =, !=, <, <=, >, >=")
	}
	if c.entity != "metrics" && c.op != "=" && c.op != "!=" {
		return bad("only = and != compare strings")
	}
	// value
	if c.entity == "metrics" {
		j := strings.IndexByte(s, ' ')
		if j < 0 {
			j = len(s)
		}
		v, err := strconv.ParseFloat(s[:j], 64)
		if err != nil {
			return bad("metric comparisons need a number")
		}
		c.num, s = v, s[j:]
		return c, s, nil
	}
	if s == "" || (s[0] != '\'' && s[0] != '"') {
		return bad("string values must be quoted")
	}
	q := s[0]
	j := strings.IndexByte(s[1:], q)
	if j < 0 {
		return bad("unterminated string value")
	}
	c.value, s = s[1:1+j], s[2+j:]
	return c, s, nil
}

func cmpString(op, a, b string) bool {
	if op == "=" {
		return a == b
	}
	return a != b
}

func cmpNumber(op string, a, b float64) bool {
	switch op {
	case "=":
		return a == b
	case "!=":
		return a != b
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	}
	return a >= b
}

func (r *run) matches(cs []clause) bool {
	for _, c := range cs {
		ok := false
		switch c.entity {
		case "tags":
			for _, t := range r.Tags {
				ok = ok || t.Key == c.key && cmpString(c.op, t.Value, c.value)
			}
		case "params":
			for _, p := range r.Params {
				ok = ok || p.Key == c.key && cmpString(c.op, p.Value, c.value)
			}
		case "metrics":
			for _, m := range r.latest() {
				ok = ok || m.Key == c.key && cmpNumber(c.op, m.Value, c.num)
			}
		default:
			var v string
			switch c.key {
			case "run_name":
				v = r.Name
			case "status":
				v = r.Status
			case "run_id":
				v = r.ID
			case "user_id":
				v = r.UserID
			default:
				return false
			}
			ok = cmpString(c.op, v, c.value)
		}
		if !ok {
			return false
		}
	}
	return true
}

func pageToken(offset int) string {
	return base64.StdEncoding.EncodeToString([]byte(`{"offset": ` + strconv.Itoa(offset) + `}`))
}

func parsePageToken(tok string) (int, *apiError) {
	if tok == "" {
		return 0, nil
	}
	b, err := base64.StdEncoding.DecodeString(tok)
	s := strings.TrimSuffix(strings.TrimPrefix(string(b), `{"offset": `), "}")
	n, err2 := strconv.Atoi(s)
	if err != nil || err2 != nil || n < 0 {
		return 0, invalid("Invalid page token, could not base64-decode")
	}
	return n, nil
}

func (s *Server) searchRuns(w http.ResponseWriter, r *http.Request) *apiError {
	o, e := readBody(r)
	if e != nil {
		return e
	}
	expIDs, e := o.strs("experiment_ids")
	if e != nil {
		return e
	}
	if len(expIDs) == 0 {
		return missing("experiment_ids")
	}
	filter, e := o.str("filter", false)
	if e != nil {
		return e
	}
	clauses, e := parseFilter(filter)
	if e != nil {
		return e
	}
	view, e := o.str("run_view_type", false)
	if e != nil {
		return e
	}
	if view != "" && view != "ACTIVE_ONLY" && view != "DELETED_ONLY" && view != "ALL" {
		return badType("run_view_type", o["run_view_type"], "one of ACTIVE_ONLY, DELETED_ONLY, ALL")
	}
	max, e := o.i64("max_results", false)
	if e != nil {
		return e
	}
	if max == 0 {
		max = 1000
	}
	if max < 0 || max > maxSearchResults {
		return invalid("Invalid value for request parameter max_results. It must be at most %d, but got value %d", maxSearchResults, max)
	}
	if _, e = o.strs("order_by"); e != nil {
		return e
	}
	tok, e := o.str("page_token", false)
	if e != nil {
		return e
	}
	offset, e := parsePageToken(tok)
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	want := map[string]bool{}
	for _, id := range expIDs {
		want[id] = true
	}
	var hits []*run
	if view != "DELETED_ONLY" { // the double never deletes runs
		for _, rn := range s.runs {
			if want[rn.ExperimentID] && rn.matches(clauses) {
				hits = append(hits, rn)
			}
		}
	}
	// MLflow's default order: start time, newest first, then run id.
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].StartTime != hits[j].StartTime {
			return hits[i].StartTime > hits[j].StartTime
		}
		return hits[i].ID < hits[j].ID
	})
	body := map[string]any{}
	end := min(len(hits), offset+int(max))
	var page []map[string]any
	for _, rn := range hits[min(offset, len(hits)):end] {
		page = append(page, rn.wire())
	}
	if len(page) > 0 {
		body["runs"] = page
	}
	if end < len(hits) {
		body["next_page_token"] = pageToken(end)
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}
