package web

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/goautoml/automl/finish"
	"github.com/goautoml/automl/store"
)

// Defaults of the upload limits.
const (
	DefaultMaxUpload   = 200 << 20 // one file
	DefaultUploadQuota = 1 << 30   // all of runs/.uploads
	DefaultUploadTTL   = 24 * time.Hour
)

// Config is what a Server needs. Zero values mean the documented defaults.
type Config struct {
	// Runs is the folder holding experiments (default "runs").
	Runs string
	// Token, when set, is required on every request (a login form trades it
	// for a cookie). Serve refuses a non-loopback address without one.
	Token string
	// MaxUpload bounds an uploaded CSV's size in bytes (default 200 MB).
	MaxUpload int64
	// UploadQuota bounds the bytes of all uploads kept (default 1 GB): an
	// upload that does not fit, once expired uploads are removed, gets 507.
	UploadQuota int64
	// UploadTTL is how long an upload is kept after it was made or last
	// started an experiment (default 24 h).
	UploadTTL time.Duration
	// Workers is how many trials each experiment runs at once (0 = cores).
	Workers int
	// Finish holds the settings the form first shows for the step after the
	// search (package finish: explanations, notebooks, MLflow; nil:
	// finish.Defaults(), the command line's defaults). Its MLflow.URI, when
	// set, is the tracking server experiments may log to; its ModuleDir is
	// the checkout notebooks build against.
	Finish *finish.Options
	// Logger receives request errors and experiment outcomes (default: discard).
	Logger *slog.Logger
}

// Server is the UI: its handler, the experiments it runs and their shared
// context. Experiments outlive the requests that start them; Close stops them.
type Server struct {
	cfg    Config
	runs   *os.Root // the store: every file served is opened through it
	log    *slog.Logger
	secret []byte // keys CSRF tokens and the login cookie
	pages  map[string]*template.Template

	ctx      context.Context // parent of every experiment started here
	cancel   context.CancelFunc
	live     *registry
	cache    trialCache
	frames   frameCache
	jobs     jobs              // explanations made on request (explainjob.go)
	boards   boardMemo         // the last leaderboard's ranking and rows (board.go)
	upMu     sync.Mutex        // guards upHeld
	upHeld   int64             // bytes of uploads being received, counted against the quota
	moved    map[string]string // upload id -> the data copy of the experiment it started (guarded by upMu)
	deployed deployments       // models served at /api/models/
	listed   listCache         // rows of the experiments' list
	listWarm chan struct{}     // closed once warmList has read them all
	wg       sync.WaitGroup
	mu       sync.Mutex // guards naming of new experiments
}

// New opens (creating if needed) the runs folder and parses the templates.
func New(cfg Config) (*Server, error) {
	if cfg.Runs == "" {
		cfg.Runs = "runs"
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = DefaultMaxUpload
	}
	if cfg.UploadQuota <= 0 {
		cfg.UploadQuota = DefaultUploadQuota
	}
	if cfg.UploadTTL <= 0 {
		cfg.UploadTTL = DefaultUploadTTL
	}
	if cfg.Finish == nil {
		d := finish.Defaults()
		cfg.Finish = &d
	}
	if err := cfg.Finish.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(store.Uploads(cfg.Runs), 0o755); err != nil {
		return nil, fmt.Errorf("runs folder: %w", err)
	}
	root, err := os.OpenRoot(cfg.Runs)
	if err != nil {
		return nil, fmt.Errorf("runs folder: %w", err)
	}
	pages, err := parsePages()
	if err != nil {
		root.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, runs: root, log: cfg.Logger, secret: make([]byte, 32), pages: pages, live: newRegistry()}
	rand.Read(s.secret)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.sweepUploads(time.Now())
	s.warmList()
	return s, nil
}

// Close stops the experiments still running (they are recorded as
// interrupted), waits for them to write their records, and releases the store.
func (s *Server) Close() error {
	s.mu.Lock() // no launch between the check of s.ctx and wg.Add
	s.cancel()
	s.mu.Unlock()
	s.wg.Wait()
	return s.runs.Close()
}

// Done is closed when Close starts: long-lived responses (event streams) end then.
func (s *Server) Done() <-chan struct{} { return s.ctx.Done() }

// Handler returns the UI's routes wrapped in the security layers.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	h := &handler{s: s}
	static, _ := fs.Sub(assets, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(assetFS{static})))
	mux.HandleFunc("GET /{$}", h.list)
	mux.HandleFunc("GET /login", h.loginPage)
	mux.HandleFunc("POST /login", h.login)
	mux.HandleFunc("GET /new", h.newPage)
	mux.HandleFunc("POST /uploads", h.upload)
	mux.HandleFunc("POST /samples/{sample}", h.sample)
	mux.HandleFunc("GET /new/{upload}", h.setup)
	mux.HandleFunc("POST /experiments", h.start)
	mux.HandleFunc("GET /experiments/{exp}", h.experiment)
	mux.HandleFunc("GET /experiments/{exp}/events", h.events)
	mux.HandleFunc("POST /experiments/{exp}/stop", h.stop)
	mux.HandleFunc("GET /experiments/{exp}/files/{path...}", h.file)
	mux.HandleFunc("GET /experiments/{exp}/trials/{id}", h.trial)
	mux.HandleFunc("GET /experiments/{exp}/trials/{id}/bundle.zip", h.bundleZip)
	mux.HandleFunc("GET /experiments/{exp}/trials/{id}/artifacts.zip", h.artifactsZip)
	// Results (experiment.go, trial.go, explainjob.go, compare.go).
	mux.HandleFunc("POST /experiments/{exp}/trials/{id}/explain", h.explainTrial)
	mux.HandleFunc("GET /experiments/{exp}/trials/{id}/explain", h.explainStatus)
	mux.HandleFunc("GET /experiments/{exp}/compare", h.compareTrials)
	mux.HandleFunc("GET /compare", h.compareExperiments)
	// Using a model, and managing experiments (use.go, manage.go).
	mux.HandleFunc("GET /experiments/{exp}/trials/{id}/use", h.use)
	mux.HandleFunc("POST /experiments/{exp}/trials/{id}/score", h.score)
	mux.HandleFunc("POST /experiments/{exp}/trials/{id}/deploy", h.deploy)
	mux.HandleFunc("POST /experiments/{exp}/trials/{id}/undeploy", h.undeploy)
	mux.HandleFunc("POST /experiments/{exp}/trials/{id}/register", h.register)
	mux.HandleFunc("/api/models/{exp}/{id}/{rest...}", h.api)
	mux.HandleFunc("GET /experiments/{exp}/manage", h.managePage)
	mux.HandleFunc("POST /experiments/{exp}/rename", h.rename)
	mux.HandleFunc("POST /experiments/{exp}/delete", h.remove)
	mux.HandleFunc("POST /experiments/{exp}/resume", h.resume)
	mux.HandleFunc("/", h.notFound)
	return s.secure(mux)
}

// CheckAddr refuses to listen beyond the loopback interface without a token.
func CheckAddr(addr, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if token != "" || loopback(host) {
		return nil
	}
	return errors.New("listening on " + addr + " exposes the UI beyond this machine: give --token (or AUTOML_TOKEN), or bind to 127.0.0.1")
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Serve listens on addr until ctx ends, then shuts down: experiments still
// running are stopped and recorded as interrupted.
func (s *Server) Serve(ctx context.Context, addr string, ready func(net.Addr)) error {
	if err := CheckAddr(addr, s.cfg.Token); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(s.cancel)
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		s.Close()
		return err
	case <-ctx.Done():
	}
	sctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	err = srv.Shutdown(sctx)
	s.Close()
	return err
}

// assetFS serves the embedded assets: a name that is not one (including a
// name the embedded files refuse as invalid, such as bytes that are not
// UTF-8) is not found, a 404, where the file server answered 500 to
// anything but a missing file.
type assetFS struct{ fs.FS }

func (a assetFS) Open(name string) (fs.File, error) {
	f, err := a.FS.Open(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return f, err
}
