package mlflowtest

import (
	"encoding/hex"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault is a kind of injected failure.
type Fault int

// The kinds of injected failure.
const (
	// FaultStatus answers 500, 502 or 503 without handling the request.
	FaultStatus Fault = iota
	// FaultThrottle answers 429 with Retry-After (Options.RetryAfter) without handling the request.
	FaultThrottle
	// FaultResetBefore closes the connection (TCP reset) without handling the request.
	FaultResetBefore
	// FaultResetAfter handles the request, keeps its effect, and closes the connection instead
	// of answering: the client never learns that it succeeded.
	FaultResetAfter
	// FaultStall handles the request and then waits Options.Stall (or until the client hangs
	// up) before answering, to run past the client's timeout.
	FaultStall
)

var faultNames = [...]string{"status", "throttle", "reset_before", "reset_after", "stall"}

func (f Fault) String() string {
	if int(f) < len(faultNames) {
		return faultNames[f]
	}
	return "fault(" + strconv.Itoa(int(f)) + ")"
}

// AllFaults lists every kind of fault.
var AllFaults = []Fault{FaultStatus, FaultThrottle, FaultResetBefore, FaultResetAfter, FaultStall}

// Options configures a Server.
type Options struct {
	// Seed seeds the generator that draws ids and failures.
	Seed uint64
	// FailRate is the fraction of requests (0..1) that get an injected fault.
	FailRate float64
	// Faults are the kinds drawn (uniformly) for a failing request; nil means AllFaults.
	Faults []Fault
	// Stall is how long FaultStall waits; default 5 s.
	Stall time.Duration
	// RetryAfter is the Retry-After header of FaultThrottle, in seconds (0 sends none).
	RetryAfter int
	// ArtifactRoot, when not empty, replaces "mlflow-artifacts:/" as the root of new runs'
	// artifact URIs (e.g. "s3://bucket/" for a server without artifact serving).
	ArtifactRoot string
}

// Stats counts what the server saw.
type Stats struct {
	Requests       int           // every request received
	Injected       map[Fault]int // requests that got a fault, by kind
	ChunkedUploads int           // artifact PUTs without Content-Length (stored empty)
	RunsCreated    int           // successful runs/create calls (answer lost or not)
}

// Server is a running tracking server double. Close it when done.
type Server struct {
	*httptest.Server
	opt Options

	mu       sync.Mutex
	rng      *rand.Rand // faults
	ids      *rand.Rand // run ids
	failRate float64
	stats    Stats
	scripted []scripted

	experiments []*experiment
	runs        []*run
	runByID     map[string]*run
	artifacts   map[string][]byte // key: path under the artifact root, e.g. "1/<run>/artifacts/x"
	models      map[string]*registeredModel
}

// NewServer starts a server on a loopback port.
func NewServer(opt Options) *Server {
	if opt.Stall <= 0 {
		opt.Stall = 5 * time.Second
	}
	if len(opt.Faults) == 0 {
		opt.Faults = AllFaults
	}
	s := &Server{
		opt:       opt,
		rng:       rand.New(rand.NewPCG(opt.Seed, 1)),
		ids:       rand.New(rand.NewPCG(opt.Seed, 2)),
		failRate:  opt.FailRate,
		stats:     Stats{Injected: map[Fault]int{}},
		runByID:   map[string]*run{},
		artifacts: map[string][]byte{},
		models:    map[string]*registeredModel{},
	}
	now := time.Now().UnixMilli()
	s.experiments = append(s.experiments, &experiment{ID: "0", Name: "Default", Created: now, Updated: now,
		ArtifactLocation: s.artifactRoot() + "0"})
	s.Server = httptest.NewServer(s.withFaults(s.routes()))
	return s
}

func (s *Server) artifactRoot() string {
	if s.opt.ArtifactRoot != "" {
		return s.opt.ArtifactRoot
	}
	return "mlflow-artifacts:/"
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	const p = "/api/2.0/mlflow/"
	handle := func(pattern string, h func(http.ResponseWriter, *http.Request) *apiError) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if e := h(w, r); e != nil {
				writeError(w, e)
			}
		})
	}
	handle("GET "+p+"experiments/get-by-name", s.getExperimentByName)
	handle("POST "+p+"experiments/create", s.createExperiment)
	handle("POST "+p+"runs/create", s.createRun)
	handle("GET "+p+"runs/get", s.getRun)
	handle("POST "+p+"runs/log-batch", s.logBatch)
	handle("POST "+p+"runs/update", s.updateRun)
	handle("POST "+p+"runs/set-tag", s.setTag)
	handle("POST "+p+"runs/search", s.searchRuns)
	handle("GET "+p+"metrics/get-history", s.metricHistory)
	handle("POST "+p+"registered-models/create", s.createRegisteredModel)
	handle("GET "+p+"registered-models/get", s.getRegisteredModel)
	handle("PATCH "+p+"registered-models/update", s.updateRegisteredModel)
	handle("DELETE "+p+"registered-models/delete", s.deleteRegisteredModel)
	handle("POST "+p+"model-versions/create", s.createModelVersion)
	handle("GET "+p+"model-versions/search", s.searchModelVersions)
	handle("POST "+p+"registered-models/alias", s.setAlias)
	handle("GET "+p+"registered-models/alias", s.getAlias)
	const a = "/api/2.0/mlflow-artifacts/artifacts"
	handle("PUT "+a+"/{path...}", s.putArtifact)
	handle("GET "+a+"/{path...}", s.getArtifact)
	handle("GET "+a, s.listArtifacts)
	return mux
}

// SetFailRate changes the fraction of requests that fail, e.g. to 0 before checking the state.
func (s *Server) SetFailRate(f float64) {
	s.mu.Lock()
	s.failRate = f
	s.mu.Unlock()
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Injected = map[Fault]int{}
	for k, v := range s.stats.Injected {
		st.Injected[k] = v
	}
	return st
}

type scripted struct {
	suffix string
	fault  Fault
	left   int
}

// FailNext makes the next n requests whose URL path ends with suffix (e.g. "/runs/create")
// get fault f, whatever the fail rate.
func (s *Server) FailNext(suffix string, f Fault, n int) {
	s.mu.Lock()
	s.scripted = append(s.scripted, scripted{suffix, f, n})
	s.mu.Unlock()
}

// draw decides whether this request fails, and how.
func (s *Server) draw(r *http.Request) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Requests++
	for i := range s.scripted {
		sc := &s.scripted[i]
		if sc.left > 0 && strings.HasSuffix(r.URL.Path, sc.suffix) {
			sc.left--
			s.stats.Injected[sc.fault]++
			return sc.fault, true
		}
	}
	if s.failRate <= 0 || s.rng.Float64() >= s.failRate {
		return 0, false
	}
	f := s.opt.Faults[s.rng.IntN(len(s.opt.Faults))]
	s.stats.Injected[f]++
	return f, true
}

func (s *Server) withFaults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, fail := s.draw(r)
		if !fail {
			next.ServeHTTP(w, r)
			return
		}
		switch f {
		case FaultStatus:
			codes := []int{500, 502, 503}
			s.mu.Lock()
			code := codes[s.rng.IntN(len(codes))]
			s.mu.Unlock()
			writeError(w, &apiError{code, "TEMPORARILY_UNAVAILABLE", "injected failure"})
		case FaultThrottle:
			if s.opt.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(s.opt.RetryAfter))
			}
			writeError(w, &apiError{http.StatusTooManyRequests, "REQUEST_LIMIT_EXCEEDED", "injected throttling"})
		case FaultResetBefore:
			reset(w)
		case FaultResetAfter:
			next.ServeHTTP(httptest.NewRecorder(), r)
			reset(w)
		case FaultStall:
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			t := time.NewTimer(s.opt.Stall)
			defer t.Stop()
			select {
			case <-t.C:
			case <-r.Context().Done():
				return
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
		}
	})
}

// reset drops the connection with a TCP RST (SO_LINGER 0) so the client sees a reset.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("mlflowtest: the response writer cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// newRunID draws a 32-hex-digit run id. Call with s.mu held.
func (s *Server) newRunID() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(s.ids.Uint32())
	}
	return hex.EncodeToString(b[:])
}

// RunRecord is the server's view of a run, for assertions.
type RunRecord struct {
	ID, ExperimentID, Name, Status, ArtifactURI string
	StartTime, EndTime                          int64
	Tags, Params                                map[string]string
	Metrics                                     []MetricRecord
}

// MetricRecord is one stored metric value.
type MetricRecord struct {
	Key             string
	Value           float64
	Timestamp, Step int64
}

// Runs returns every run in creation order.
func (s *Server) Runs() []RunRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RunRecord, 0, len(s.runs))
	for _, r := range s.runs {
		rec := RunRecord{ID: r.ID, ExperimentID: r.ExperimentID, Name: r.Name, Status: r.Status,
			ArtifactURI: r.ArtifactURI, StartTime: r.StartTime, EndTime: r.EndTime,
			Tags: map[string]string{}, Params: map[string]string{}}
		for _, t := range r.Tags {
			rec.Tags[t.Key] = t.Value
		}
		for _, p := range r.Params {
			rec.Params[p.Key] = p.Value
		}
		for _, m := range r.Metrics {
			rec.Metrics = append(rec.Metrics, MetricRecord{m.Key, m.Value, m.Timestamp, m.Step})
		}
		out = append(out, rec)
	}
	return out
}

// Artifact returns the stored artifact at path (relative to the artifact root, e.g.
// "1/<run>/artifacts/model/MLmodel").
func (s *Server) Artifact(path string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.artifacts[path]
	return append([]byte(nil), b...), ok
}

// ArtifactPaths lists every stored artifact path, sorted.
func (s *Server) ArtifactPaths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.artifacts))
	for k := range s.artifacts {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// VersionRecord is the server's view of a model version.
type VersionRecord struct {
	Name, Version, Source, RunID string
	Aliases                      []string
}

// ModelVersions returns the versions of a registered model in version order.
func (s *Server) ModelVersions(name string) []VersionRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.models[name]
	if m == nil {
		return nil
	}
	var out []VersionRecord
	for _, v := range m.Versions {
		rec := VersionRecord{Name: name, Version: v.Version, Source: v.Source, RunID: v.RunID}
		for a, ver := range m.Aliases {
			if ver == v.Version {
				rec.Aliases = append(rec.Aliases, a)
			}
		}
		sort.Strings(rec.Aliases)
		out = append(out, rec)
	}
	return out
}

// RegisteredModelNames lists the registered models, sorted.
func (s *Server) RegisteredModelNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for n := range s.models {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
