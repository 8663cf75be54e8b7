package mlflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// MLflow's runs/log-batch limits (MAX_*_PER_BATCH and value lengths of MLflow 2.x).
const (
	MaxMetricsPerBatch  = 1000
	MaxParamsPerBatch   = 100
	MaxTagsPerBatch     = 100
	MaxEntitiesPerBatch = 1000 // metrics + params + tags in one request
	MaxParamValueLength = 6000 // characters; the server cuts longer values silently
	MaxTagValueLength   = 8000 // characters
	MaxKeyLength        = 250  // characters of a metric, param or tag key
	// maxBatchBytes keeps one request below MLflow's 1 MB body limit with room for JSON framing.
	maxBatchBytes = 900_000
)

// Batch is what one or more runs/log-batch calls send for a run.
type Batch struct {
	Metrics []Metric
	Params  []Param
	Tags    []Tag
}

// Len is the number of items in the batch.
func (b Batch) Len() int { return len(b.Metrics) + len(b.Params) + len(b.Tags) }

// Split cuts b into requests within MLflow's limits (per-kind counts, the total count and the
// body size), keeping the order of each kind.
func (b Batch) Split() []Batch {
	var out []Batch
	m, p, t := b.Metrics, b.Params, b.Tags
	for len(m)+len(p)+len(t) > 0 {
		var cur Batch
		size := 0
		fits := func(n int) bool {
			return cur.Len() < MaxEntitiesPerBatch && (size+n <= maxBatchBytes || cur.Len() == 0)
		}
		for len(p) > 0 && len(cur.Params) < MaxParamsPerBatch {
			n := len(p[0].Key) + len(p[0].Value) + 32
			if !fits(n) {
				break
			}
			cur.Params, p, size = append(cur.Params, p[0]), p[1:], size+n
		}
		for len(t) > 0 && len(cur.Tags) < MaxTagsPerBatch {
			n := len(t[0].Key) + len(t[0].Value) + 32
			if !fits(n) {
				break
			}
			cur.Tags, t, size = append(cur.Tags, t[0]), t[1:], size+n
		}
		for len(m) > 0 && len(cur.Metrics) < MaxMetricsPerBatch {
			n := len(m[0].Key) + 96
			if !fits(n) {
				break
			}
			cur.Metrics, m, size = append(cur.Metrics, m[0]), m[1:], size+n
		}
		out = append(out, cur)
	}
	return out
}

// LogBatch logs metrics, params and tags to a run, in as many runs/log-batch calls as MLflow's
// limits need. Before sending it checks every key, fills a zero metric timestamp with the
// current time, cuts param values to MaxParamValueLength and tag values to MaxTagValueLength
// characters (logging a warning; the server would cut params silently anyway, so what is stored
// is what was sent), drops exact duplicate params, and refuses a param key given two different
// values. Safe to retry: MLflow keeps one copy of an identical metric, param or tag.
func (c *Client) LogBatch(ctx context.Context, runID string, b Batch) error {
	if runID == "" {
		return errors.New("mlflow: log batch: empty run id")
	}
	nb, err := c.normalize(b)
	if err != nil {
		return fmt.Errorf("mlflow: log batch to run %s: %w", runID, err)
	}
	for i, part := range nb.Split() {
		req := struct {
			RunID   string   `json:"run_id"`
			Metrics []Metric `json:"metrics"`
			Params  []Param  `json:"params"`
			Tags    []Tag    `json:"tags"`
		}{runID, nonNil(part.Metrics), nonNil(part.Params), nonNil(part.Tags)}
		if err := c.callJSON(ctx, "POST", apiPrefix+"/runs/log-batch", nil, req, nil); err != nil {
			return fmt.Errorf("mlflow: log batch to run %s (request %d): %w", runID, i+1, err)
		}
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (c *Client) normalize(b Batch) (Batch, error) {
	var out Batch
	var errs []error
	now := time.Now().UnixMilli()
	for _, m := range b.Metrics {
		if err := CheckKey(m.Key); err != nil {
			errs = append(errs, fmt.Errorf("metric: %w", err))
			continue
		}
		if m.Timestamp == 0 {
			m.Timestamp = now
		}
		out.Metrics = append(out.Metrics, m)
	}
	seen := make(map[string]string, len(b.Params))
	for _, p := range b.Params {
		if err := CheckKey(p.Key); err != nil {
			errs = append(errs, fmt.Errorf("param: %w", err))
			continue
		}
		if v, cut := truncate(p.Value, MaxParamValueLength); cut {
			c.logger().Warn("mlflow: param value cut", "key", p.Key, "chars", utf8.RuneCountInString(p.Value), "limit", MaxParamValueLength)
			p.Value = v
		}
		if old, ok := seen[p.Key]; ok {
			if old != p.Value {
				errs = append(errs, fmt.Errorf("param %q given two values (%.40q and %.40q)", p.Key, old, p.Value))
			}
			continue
		}
		seen[p.Key] = p.Value
		out.Params = append(out.Params, p)
	}
	for _, t := range b.Tags {
		if err := CheckKey(t.Key); err != nil {
			errs = append(errs, fmt.Errorf("tag: %w", err))
			continue
		}
		if v, cut := truncate(t.Value, MaxTagValueLength); cut {
			c.logger().Warn("mlflow: tag value cut", "key", t.Key, "chars", utf8.RuneCountInString(t.Value), "limit", MaxTagValueLength)
			t.Value = v
		}
		out.Tags = append(out.Tags, t)
	}
	return out, errors.Join(errs...)
}

// truncate cuts s to at most n characters (Unicode code points, as MLflow counts).
func truncate(s string, n int) (string, bool) {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s, false
	}
	i, count := 0, 0
	for i < len(s) && count < n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		count++
	}
	return s[:i], true
}

// CheckKey reports whether key is a valid MLflow 2.x metric, param or tag name: 1 to 250
// characters among letters, digits, '_', '-', '.', ' ' and '/', not an absolute or parent path.
func CheckKey(key string) error {
	if key == "" {
		return errors.New("empty key")
	}
	if utf8.RuneCountInString(key) > MaxKeyLength {
		return fmt.Errorf("key %.40q... is longer than %d characters", key, MaxKeyLength)
	}
	for _, r := range key {
		if !validKeyRune(r) {
			return fmt.Errorf("key %q holds %q; names may only contain letters, digits, '_', '-', '.', ' ' and '/'", key, r)
		}
	}
	if strings.HasPrefix(key, "/") || key == ".." || strings.HasPrefix(key, "../") || strings.Contains(key, "/../") || strings.HasSuffix(key, "/..") {
		return fmt.Errorf("key %q is not a relative path", key)
	}
	return nil
}

func validKeyRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		r == '_' || r == '-' || r == '.' || r == ' ' || r == '/'
}

// SanitizeKey maps s to a valid key: characters CheckKey refuses become '_', a leading '/' is
// dropped, and the result is cut to MaxKeyLength characters ("_" for an empty result).
func SanitizeKey(s string) string {
	var b strings.Builder
	for _, r := range strings.TrimLeft(s, "/") {
		if !validKeyRune(r) {
			r = '_'
		}
		b.WriteRune(r)
	}
	out, _ := truncate(strings.ReplaceAll(b.String(), "..", "__"), MaxKeyLength)
	if out == "" {
		return "_"
	}
	return out
}

// FlattenParams turns a JSON-encodable value (such as a trial spec) into params, one per leaf:
// nested object keys join with '.', under prefix (when not empty); arrays become one param
// holding their compact JSON; nulls are skipped; strings keep their text, other scalars their
// JSON text. Keys are sanitized with SanitizeKey and the result is sorted by key.
func FlattenParams(prefix string, v any) ([]Param, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("mlflow: flatten params: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, fmt.Errorf("mlflow: flatten params: %w", err)
	}
	var out []Param
	var walk func(key string, x any) error
	walk = func(key string, x any) error {
		switch x.(type) {
		case nil:
			return nil
		case map[string]any:
		default:
			if key == "" {
				return errors.New("mlflow: flatten params: a scalar or array needs a non-empty prefix")
			}
		}
		switch t := x.(type) {
		case map[string]any:
			for k, sub := range t {
				name := k
				if key != "" {
					name = key + "." + k
				}
				if err := walk(name, sub); err != nil {
					return err
				}
			}
			return nil
		case string:
			out = append(out, Param{Key: SanitizeKey(key), Value: t})
		case json.Number:
			out = append(out, Param{Key: SanitizeKey(key), Value: t.String()})
		case bool:
			out = append(out, Param{Key: SanitizeKey(key), Value: fmt.Sprint(t)})
		default: // arrays
			b, err := json.Marshal(t)
			if err != nil {
				return err
			}
			out = append(out, Param{Key: SanitizeKey(key), Value: string(b)})
		}
		return nil
	}
	if err := walk(prefix, tree); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// MetricsFromMap turns named values (such as metrics.Evaluate's result) into metrics at one
// timestamp (Unix milliseconds) and step, sorted by key; keys are sanitized with SanitizeKey.
func MetricsFromMap(values map[string]float64, timestamp, step int64) []Metric {
	out := make([]Metric, 0, len(values))
	for k, v := range values {
		out = append(out, Metric{Key: SanitizeKey(k), Value: v, Timestamp: timestamp, Step: step})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// TagsFromMap turns a map into tags sorted by key; keys are sanitized with SanitizeKey.
func TagsFromMap(values map[string]string) []Tag {
	out := make([]Tag, 0, len(values))
	for k, v := range values {
		out = append(out, Tag{Key: SanitizeKey(k), Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
