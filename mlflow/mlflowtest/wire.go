package mlflowtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// apiError is an MLflow error answer.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func invalid(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "INVALID_PARAMETER_VALUE", fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{http.StatusNotFound, "RESOURCE_DOES_NOT_EXIST", fmt.Sprintf(format, args...)}
}

func exists(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "RESOURCE_ALREADY_EXISTS", fmt.Sprintf(format, args...)}
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, map[string]string{"error_code": e.code, "message": e.message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error_code":"INTERNAL_ERROR","message":"encode answer"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// object is a decoded JSON object whose fields are checked one by one, as MLflow does when it
// parses a request into its protobuf message.
type object map[string]json.RawMessage

// readBody parses a POST body, refusing a wrong Content-Type and malformed JSON.
func readBody(r *http.Request) (object, *apiError) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return nil, invalid("Bad Request. Content-Type must be one of ['application/json'].")
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r.Body); err != nil {
		return nil, &apiError{http.StatusBadRequest, "BAD_REQUEST", "could not read the request body"}
	}
	if len(bytes.TrimSpace(buf.Bytes())) == 0 {
		return object{}, nil
	}
	return parseObject(buf.Bytes(), "request body")
}

func parseObject(b []byte, what string) (object, *apiError) {
	var o object
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&o); err != nil || o == nil {
		return nil, &apiError{http.StatusBadRequest, "MALFORMED_REQUEST", fmt.Sprintf("Malformed %s: expected a JSON object", what)}
	}
	return o, nil
}

// queryObject turns URL query parameters into an object of JSON strings (GET endpoints).
func queryObject(r *http.Request) object {
	o := object{}
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			b, _ := json.Marshal(v[0])
			o[k] = b
		}
	}
	return o
}

func missing(name string) *apiError {
	return invalid("Missing value for required parameter '%s'. See the API docs for more information about request parameters.", name)
}

func badType(name string, raw json.RawMessage, want string) *apiError {
	return invalid("Invalid value %s for parameter '%s' supplied: expected %s. See the API docs for more information about request parameters.", raw, name, want)
}

func (o object) has(name string) bool {
	raw, ok := o[name]
	return ok && string(bytes.TrimSpace(raw)) != "null"
}

// str reads a string field; an absent or empty required field is missing.
func (o object) str(name string, required bool) (string, *apiError) {
	if !o.has(name) {
		if required {
			return "", missing(name)
		}
		return "", nil
	}
	var s string
	if err := json.Unmarshal(o[name], &s); err != nil {
		return "", badType(name, o[name], "a string")
	}
	if required && s == "" {
		return "", missing(name)
	}
	return s, nil
}

// i64 reads an int64 field, given as a JSON integer or a decimal string (protobuf JSON).
func (o object) i64(name string, required bool) (int64, *apiError) {
	if !o.has(name) {
		if required {
			return 0, missing(name)
		}
		return 0, nil
	}
	raw := bytes.TrimSpace(o[name])
	text := string(raw)
	if raw[0] == '"' {
		if json.Unmarshal(raw, &text) != nil {
			return 0, badType(name, raw, "an integer")
		}
	}
	v, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return 0, badType(name, raw, "an integer")
	}
	return v, nil
}

// f64 reads a double field: a JSON number, or "NaN", "Infinity", "-Infinity" or a numeric string.
func (o object) f64(name string, required bool) (float64, *apiError) {
	if !o.has(name) {
		if required {
			return 0, missing(name)
		}
		return 0, nil
	}
	raw := bytes.TrimSpace(o[name])
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, badType(name, raw, "a number")
		}
		switch s {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, badType(name, raw, "a number")
		}
		return v, nil
	}
	var v float64
	if json.Unmarshal(raw, &v) != nil {
		return 0, badType(name, raw, "a number")
	}
	return v, nil
}

// objects reads an array of objects.
func (o object) objects(name string) ([]object, *apiError) {
	if !o.has(name) {
		return nil, nil
	}
	var raws []json.RawMessage
	if json.Unmarshal(o[name], &raws) != nil {
		return nil, badType(name, o[name], "an array")
	}
	out := make([]object, len(raws))
	for i, raw := range raws {
		var item object
		if json.Unmarshal(raw, &item) != nil || item == nil {
			return nil, badType(fmt.Sprintf("%s[%d]", name, i), raw, "an object")
		}
		out[i] = item
	}
	return out, nil
}

// strs reads an array of strings.
func (o object) strs(name string) ([]string, *apiError) {
	if !o.has(name) {
		return nil, nil
	}
	var out []string
	if json.Unmarshal(o[name], &out) != nil {
		return nil, badType(name, o[name], "an array of strings")
	}
	return out, nil
}

// keyValues reads an array of {key, value} objects (tags).
func (o object) keyValues(name string) ([]kv, *apiError) {
	items, e := o.objects(name)
	if e != nil {
		return nil, e
	}
	out := make([]kv, 0, len(items))
	for _, it := range items {
		k, e := it.str("key", true)
		if e != nil {
			return nil, e
		}
		v, e := it.str("value", false)
		if e != nil {
			return nil, e
		}
		out = append(out, kv{k, v})
	}
	return out, nil
}

type kv struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// MLflow 2.x limits.
const (
	maxMetricsPerBatch  = 1000
	maxParamsPerBatch   = 100
	maxTagsPerBatch     = 100
	maxEntitiesPerBatch = 1000
	maxParamValueLength = 6000
	maxTagValueLength   = 8000
	maxKeyLength        = 250
	maxSearchResults    = 50000
)

// checkName validates a metric, param or tag name as MLflow 2.x does.
func checkName(kind, name string) *apiError {
	if name == "" {
		return missing("key")
	}
	if len([]rune(name)) > maxKeyLength {
		return invalid("%s name '%s' had length %d, which exceeded length limit of %d", kind, name, len([]rune(name)), maxKeyLength)
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '_' || r == '-' || r == '.' || r == ' ' || r == '/'
		if !ok {
			return invalid("Invalid %s name: '%s'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).", kind, name)
		}
	}
	if strings.HasPrefix(name, "/") || name == ".." || strings.HasPrefix(name, "../") || strings.Contains(name, "/../") || strings.HasSuffix(name, "/..") {
		return invalid("Invalid %s name: '%s'. Names cannot be absolute paths or contain '..'.", kind, name)
	}
	return nil
}

// cut returns s cut to n characters.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
