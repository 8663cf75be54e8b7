package serving

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/preprocess"
)

// Default limits of a score request.
const (
	DefaultMaxBodyBytes    = 8 << 20 // 8 MiB
	DefaultMaxRows         = 10000
	DefaultMaxRowsInFlight = 4 * DefaultMaxRows
	DefaultQueueWait       = 2 * time.Second
)

// Options configure a scoring handler. The zero value is usable.
type Options struct {
	// Token, when set, is the bearer token every request but /ready and the
	// OpenAPI document must carry ("Authorization: Bearer <token>").
	Token string
	// MaxBodyBytes bounds a request body (0: DefaultMaxBodyBytes); a larger
	// body gets 413.
	MaxBodyBytes int64
	// MaxRows bounds the rows of one score request (0: DefaultMaxRows); more
	// get 413.
	MaxRows int
	// MaxRowsInFlight bounds the rows of all score requests being read,
	// parsed and scored at once (0: DefaultMaxRowsInFlight). A request
	// counts min(MaxRows, body bytes / input columns) rows from before its
	// body is read (every row takes at least one byte per column) until it
	// is parsed, then its true rows until it is answered. Memory grows with
	// this bound, not with the number of clients.
	MaxRowsInFlight int
	// QueueWait is how long a score request waits for rows to free up
	// before it gets 503 with Retry-After (0: DefaultQueueWait).
	QueueWait time.Duration
	// Logger receives scoring failures (error level) and, at debug level,
	// one line per rejected request (nil: slog.Default()).
	Logger *slog.Logger
	// Source names the model in /status (default: the bundle's directory),
	// for instance the .zip it was unpacked from.
	Source string
	// BasePath is the path prefix the handler is mounted under, when it is
	// not the root (the web UI serves models at /api/models/<exp>/<trial>):
	// the OpenAPI document's server. ExternalAuth documents a bearer token
	// that the caller checks in front of the handler (Token is then unset).
	BasePath     string
	ExternalAuth bool
}

// handler serves one loaded model.
type handler struct {
	m       *bundle.Model
	parts   []part // one per member of the bundle
	opts    Options
	log     *slog.Logger
	names   []string       // input columns: the members' pipelines' columns, in order of first use
	kinds   []dataset.Kind // their kinds
	index   map[string]int // name -> position in names
	nf      int            // features after preprocessing, summed over members
	labels  [][]byte       // class labels as JSON strings
	classes []byte         // the JSON array of class labels
	openapi []byte
	status  []byte
	met     *metrics
	mux     *http.ServeMux
	work    sync.Pool // *work

	gate     *gate
	free     releaser
	draining atomic.Bool
}

// New returns the HTTP handler that scores with m. Routes:
//
//	POST /score                       score records (JSON records, JSON columnar or CSV)
//	GET  /swagger.json, /openapi.json the OpenAPI 3 document of the model's inputs and outputs
//	GET  /ready                       200 while serving, 503 once draining
//	GET  /status                      model, family, data hash, training metrics
//	GET  /metrics                     Prometheus text: requests, errors, latency
//
// Every error is JSON (ErrorBody) naming the bad fields.
func New(m *bundle.Model, opts Options) http.Handler {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxRows <= 0 {
		opts.MaxRows = DefaultMaxRows
	}
	if opts.MaxRowsInFlight <= 0 {
		opts.MaxRowsInFlight = DefaultMaxRowsInFlight
	}
	if opts.QueueWait <= 0 {
		opts.QueueWait = DefaultQueueWait
	}
	if opts.Source == "" {
		opts.Source = m.Dir
	}
	h := &handler{m: m, opts: opts, log: opts.Logger, index: map[string]int{}}
	if h.log == nil {
		h.log = slog.Default()
	}
	for _, mb := range m.Members() {
		p := part{prep: mb.Prep, clf: mb.Classifier, nf: mb.Prep.NumFeatures(), off: h.nf}
		h.parts = append(h.parts, p)
		h.nf += p.nf
		for _, c := range mb.Prep.Spec.Columns {
			if _, ok := h.index[c.Name]; !ok {
				h.index[c.Name] = len(h.names)
				h.names = append(h.names, c.Name)
				h.kinds = append(h.kinds, c.Kind)
			}
		}
	}
	for _, c := range m.Classes {
		b, _ := json.Marshal(c)
		h.labels = append(h.labels, b)
	}
	h.classes, _ = json.Marshal(m.Classes)
	h.openapi = mustJSON(h.document())
	h.status = mustJSON(h.statusBody())
	h.met = newMetrics()
	h.work.New = func() any { return new(work) }
	h.gate = newGate(opts.MaxRowsInFlight)
	h.free = releaser{after: time.Second, idle: func() bool { return h.gate.inFlight() == 0 }}

	h.mux = http.NewServeMux()
	h.route("POST /score", routeScore, h.auth(h.score))
	h.route("GET /swagger.json", routeOpenAPI, h.serveOpenAPI)
	h.route("GET /openapi.json", routeOpenAPI, h.serveOpenAPI)
	h.route("GET /ready", routeReady, h.ready)
	h.route("GET /status", routeStatus, h.auth(h.serveStatus))
	h.route("GET /metrics", routeMetrics, h.auth(h.serveMetrics))
	h.route("/", routeOther, h.notFound)
	return h
}

// mustJSON marshals values built by this package from a loaded bundle,
// which hold no NaN (automl refuses to write them) and no channels.
func mustJSON(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("serving: %v", err))
	}
	return append(b, '\n')
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// endpoint writes a response and returns its status code.
type endpoint func(w http.ResponseWriter, r *http.Request) int

// route registers fn under pattern, counting and timing it as route.
func (h *handler) route(pattern string, route int, fn endpoint) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.met.inFlight.Add(1)
		code := http.StatusInternalServerError
		if h.draining.Load() {
			// Shutting down: answer, then close the connection, so that
			// no client holds an idle keep-alive connection when the
			// listener closes.
			w.Header().Set("Connection", "close")
		}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				h.log.Error("serving: panic", "path", r.URL.Path, "panic", p)
				writeError(w, http.StatusInternalServerError, ErrorBody{Error: "internal error while serving the request"})
			}
			h.met.inFlight.Add(-1)
			h.met.observe(route, code, time.Since(start))
		}()
		code = fn(w, r)
	})
}

// auth wraps fn with the bearer token check, when a token is set.
func (h *handler) auth(fn endpoint) endpoint {
	if h.opts.Token == "" {
		return fn
	}
	want := []byte("Bearer " + h.opts.Token)
	return func(w http.ResponseWriter, r *http.Request) int {
		got := r.Header.Get("Authorization")
		if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="automl"`)
			msg := "Authorization: missing bearer token (want \"Authorization: Bearer <token>\")"
			if got != "" {
				msg = "Authorization: the bearer token is not the one this server was started with"
			}
			return writeError(w, http.StatusUnauthorized, ErrorBody{Error: "unauthorized",
				Fields: []FieldError{{Field: "Authorization", Message: msg}}})
		}
		return fn(w, r)
	}
}

// writeError writes a JSON error body and returns the status.
func writeError(w http.ResponseWriter, status int, body ErrorBody) int {
	b, err := json.Marshal(body)
	if err != nil { // FieldError holds strings and ints only
		b = []byte(`{"error":"internal error"}`)
	}
	writeJSON(w, status, append(b, '\n'))
	return status
}

func writeJSON(w http.ResponseWriter, status int, b []byte) int {
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
	return status
}

func (h *handler) serveOpenAPI(w http.ResponseWriter, r *http.Request) int {
	return writeJSON(w, http.StatusOK, h.openapi)
}

func (h *handler) ready(w http.ResponseWriter, r *http.Request) int {
	if h.draining.Load() {
		return writeJSON(w, http.StatusServiceUnavailable, []byte(`{"status":"draining"}`+"\n"))
	}
	return writeJSON(w, http.StatusOK, []byte(`{"status":"ready"}`+"\n"))
}

func (h *handler) serveStatus(w http.ResponseWriter, r *http.Request) int {
	return writeJSON(w, http.StatusOK, h.status)
}

func (h *handler) serveMetrics(w http.ResponseWriter, r *http.Request) int {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	h.met.write(w, h.m)
	return http.StatusOK
}

// allowed lists the methods of each path, for 405 answers.
var allowed = map[string]string{
	"/score": "POST", "/swagger.json": "GET, HEAD", "/openapi.json": "GET, HEAD",
	"/ready": "GET, HEAD", "/status": "GET, HEAD", "/metrics": "GET, HEAD",
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) int {
	if a, ok := allowed[r.URL.Path]; ok {
		w.Header().Set("Allow", a)
		return writeError(w, http.StatusMethodNotAllowed, ErrorBody{Error: "method not allowed",
			Fields: []FieldError{{Field: "method", Message: fmt.Sprintf("method %s is not allowed on %s; use %s", r.Method, r.URL.Path, a)}}})
	}
	return writeError(w, http.StatusNotFound, ErrorBody{Error: "not found",
		Fields: []FieldError{{Field: "path", Message: fmt.Sprintf("path %s: no such route; the routes are POST /score, GET /swagger.json, /openapi.json, /ready, /status, /metrics", r.URL.Path)}}})
}

// statusInfo is the body of GET /status.
type statusInfo struct {
	Model      string             `json:"model"`
	Experiment string             `json:"experiment"`
	TrialID    int                `json:"trial_id"`
	Family     models.Family      `json:"family"`
	Members    []statusMember     `json:"members,omitempty"` // of an ensemble
	Target     string             `json:"target"`
	Classes    []string           `json:"classes"`
	Positive   *string            `json:"positive,omitempty"`
	Inputs     int                `json:"inputs"`
	Features   int                `json:"features"`
	DataSHA256 string             `json:"data_sha256"`
	Metric     string             `json:"metric"`
	Val        map[string]float64 `json:"val"`
	Test       map[string]float64 `json:"test"`
	MaxRows    int                `json:"max_rows"`
	MaxBody    int64              `json:"max_body_bytes"`
}

// statusMember is one member of an ensemble in GET /status.
type statusMember struct {
	TrialID int           `json:"trial_id"`
	Family  models.Family `json:"family"`
	Weight  float64       `json:"weight"`
}

// part is one member of the served bundle.
type part struct {
	prep *preprocess.Pipeline
	clf  models.Classifier
	nf   int // features of its pipeline
	off  int // features of the members before it: its matrix starts at rows*off in work.x
}

func (h *handler) statusBody() statusInfo {
	m := h.m
	s := statusInfo{Model: h.opts.Source, Experiment: m.Experiment, TrialID: m.TrialID, Family: m.Family,
		Target: m.Target, Classes: m.Classes, Inputs: len(h.names), Features: h.nf, DataSHA256: m.DataSHA256,
		Metric: m.Metric, Val: m.Val, Test: m.Test, MaxRows: h.opts.MaxRows, MaxBody: h.opts.MaxBodyBytes}
	if m.Positive >= 0 && m.Positive < len(m.Classes) {
		s.Positive = &m.Classes[m.Positive]
	}
	if mbs := m.Members(); len(mbs) > 1 {
		for _, mb := range mbs {
			s.Members = append(s.Members, statusMember{TrialID: mb.TrialID, Family: mb.Family, Weight: mb.Weight})
		}
	}
	return s
}

// mediaType returns the lower-cased media type of a Content-Type header.
func mediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}
