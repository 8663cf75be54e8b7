package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/serving"
)

// A trial's model is used from its "use" page: score an uploaded file
// (what `automl predict` does), deploy it inside this process at
// /api/models/<experiment>/<trial>/ (package serving's handler, behind the
// UI's token), and register it in MLflow when the server has a tracking
// server.

// deployments are the models served by this process, by "<exp>/<trial>".
type deployments struct {
	mu sync.Mutex
	m  map[string]*deployment
}

type deployment struct {
	h     http.Handler
	model *bundle.Model
	since time.Time
}

func (d *deployments) get(key string) *deployment {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.m[key]
}

func (d *deployments) set(key string, v *deployment) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil {
		d.m = map[string]*deployment{}
	}
	if v == nil {
		delete(d.m, key)
		return
	}
	d.m[key] = v
}

// dropExperiment forgets the deployments of an experiment (deleted or renamed).
func (d *deployments) dropExperiment(exp string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for k := range d.m {
		if strings.HasPrefix(k, exp+"/") {
			delete(d.m, k)
		}
	}
}

type inputRow struct {
	Name, Kind, Example string
}

type useView struct {
	page
	Exp, ExpURL, TrialURL, UseURL string
	ID                            int
	Family, Target, Positive      string
	Classes                       []string
	Inputs                        []inputRow
	Bundle                        bool // the bundle is on disk (else deploying or scoring re-creates it)
	Dialect                       dialectView
	ScoreError                    string
	// The deployment, when there is one.
	Deployed                  bool
	Since                     time.Time
	Endpoint, OpenAPI, Status string
	Curl, CurlCSV, Body       string
	TokenNeeded               bool
	DeployError               string
	// MLflow registration, when the server has a tracking server.
	MLflowURI, RegisterName, Registered, RegisterError string
}

// useTrial finds the experiment and finished trial of the request.
func (h *handler) useTrial(w http.ResponseWriter, r *http.Request) (*expState, automl.Trial, bool) {
	x, ok := h.loadOr404(w, r)
	if !ok {
		return nil, automl.Trial{}, false
	}
	idText := r.PathValue("id")
	id, err := strconv.Atoi(idText)
	if err != nil || strconv.Itoa(id) != idText {
		h.fail(w, r, http.StatusNotFound, "There is no such trial.")
		return nil, automl.Trial{}, false
	}
	trials, err := h.s.trials(x)
	if err != nil {
		h.fail(w, r, http.StatusInternalServerError, "Cannot read the trials: "+err.Error())
		return nil, automl.Trial{}, false
	}
	for _, t := range trials {
		if t.ID == id {
			if t.Status != "ok" {
				h.fail(w, r, http.StatusConflict, fmt.Sprintf("Trial %d of %s failed: it has no model to use.", id, x.Exp.Name))
				return nil, automl.Trial{}, false
			}
			return x, t, true
		}
	}
	h.fail(w, r, http.StatusNotFound, fmt.Sprintf("Experiment %s has no finished trial %d.", x.Exp.Name, id))
	return nil, automl.Trial{}, false
}

// model loads a trial's bundle, re-creating it first when retention removed
// it (its metrics checked), and pins it so that retention keeps it.
func (s *Server) model(ctx context.Context, x *expState, id int, why string) (*bundle.Model, error) {
	dir := x.Store.Layout.Trial(id)
	if _, err := os.Stat(x.Store.Layout.Bundle(id)); errors.Is(err, fs.ErrNotExist) {
		if x.Live != nil && x.Status == "running" {
			return nil, fmt.Errorf("the model of trial %d was not kept; it can be re-created once the experiment has ended", id)
		}
		if _, err := automl.Recreate(ctx, x.Store.Dir, id, s.cfg.Workers); err != nil {
			return nil, fmt.Errorf("the model of trial %d was removed to save space and cannot be re-created: %s", id, s.hidePaths(err.Error()))
		}
	}
	automl.Pin(dir, why)
	m, err := bundle.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("the model of trial %d cannot be loaded: %s", id, s.hidePaths(err.Error()))
	}
	return m, nil
}

// hidePaths removes the runs folder from a message.
func (s *Server) hidePaths(msg string) string {
	if abs, err := filepath.Abs(s.cfg.Runs); err == nil {
		msg = strings.ReplaceAll(msg, abs+string(filepath.Separator), "")
	}
	return strings.ReplaceAll(msg, s.cfg.Runs+string(filepath.Separator), "")
}

func deployKey(exp string, id int) string { return exp + "/" + strconv.Itoa(id) }

// use is a trial's page for using its model.
func (h *handler) use(w http.ResponseWriter, r *http.Request) {
	x, t, ok := h.useTrial(w, r)
	if !ok {
		return
	}
	h.renderUse(w, r, x, t, http.StatusOK, func(*useView) {})
}

func (h *handler) renderUse(w http.ResponseWriter, r *http.Request, x *expState, t automl.Trial, status int, set func(*useView)) {
	exp := x.Exp.Name
	base := "/experiments/" + url.PathEscape(exp)
	v := &useView{Exp: exp, ExpURL: base, TrialURL: base + "/trials/" + strconv.Itoa(t.ID), ID: t.ID,
		Family: familyLabel(t.Model.Family), Target: x.Exp.Target.Column, Classes: x.Exp.Target.Classes,
		Dialect: dialectOf(nil, automl.Config{}), MLflowURI: h.s.cfg.Finish.MLflow.URI, TokenNeeded: h.s.cfg.Token != ""}
	v.UseURL = v.TrialURL + "/use"
	if p := x.Exp.Target.Positive; p >= 0 && p < len(v.Classes) {
		v.Positive = v.Classes[p]
	}
	for _, c := range t.Prep.Columns {
		v.Inputs = append(v.Inputs, inputRow{Name: c.Name, Kind: string(c.Kind)})
	}
	_, err := os.Stat(x.Store.Layout.Bundle(t.ID))
	v.Bundle = err == nil
	v.RegisterName = exp
	if d := h.s.deployed.get(deployKey(exp, t.ID)); d != nil {
		v.Deployed, v.Since = true, d.since
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		api := "/api/models/" + url.PathEscape(exp) + "/" + strconv.Itoa(t.ID)
		v.Endpoint = scheme + "://" + r.Host + api + "/score"
		v.OpenAPI, v.Status = api+"/openapi.json", api+"/status"
		v.Inputs = v.Inputs[:0]
		for _, in := range d.model.Inputs {
			v.Inputs = append(v.Inputs, inputRow{Name: in.Name, Kind: string(in.Kind), Example: in.Example})
		}
		v.Body = exampleBody(d)
		auth := ""
		if v.TokenNeeded {
			auth = " \\\n  -H \"Authorization: Bearer $AUTOML_TOKEN\""
		}
		v.Curl = "curl -X POST " + shellQuote(v.Endpoint+"?method=predict_proba") + auth + " \\\n  -H 'Content-Type: application/json' \\\n  -d " + shellQuote(v.Body)
		v.CurlCSV = "curl -X POST " + shellQuote(v.Endpoint) + auth + " \\\n  -H 'Content-Type: text/csv' \\\n  --data-binary @rows.csv"
	}
	set(v)
	h.render(w, r, status, "use.html", v)
}

// exampleBody is the JSON request of the deployment's OpenAPI document: one
// training row as a record.
func exampleBody(d *deployment) string {
	rec := httptestGet(d.h, "/openapi.json")
	var doc struct {
		Paths map[string]struct {
			Post struct {
				RequestBody struct {
					Content map[string]struct {
						Examples map[string]struct {
							Value json.RawMessage `json:"value"`
						} `json:"examples"`
					} `json:"content"`
				} `json:"requestBody"`
			} `json:"post"`
		} `json:"paths"`
	}
	if json.Unmarshal(rec, &doc) != nil {
		return `{"data":[]}`
	}
	v := doc.Paths["/score"].Post.RequestBody.Content["application/json"].Examples["records"].Value
	var compact bytes.Buffer
	if json.Compact(&compact, v) != nil {
		return `{"data":[]}`
	}
	return compact.String()
}

// httptestGet answers a GET of path from h in memory.
func httptestGet(h http.Handler, path string) []byte {
	req, _ := http.NewRequest("GET", path, nil)
	var w memResponse
	h.ServeHTTP(&w, req)
	return w.body.Bytes()
}

type memResponse struct {
	hdr  http.Header
	body bytes.Buffer
}

func (m *memResponse) Header() http.Header {
	if m.hdr == nil {
		m.hdr = http.Header{}
	}
	return m.hdr
}
func (m *memResponse) Write(b []byte) (int, error) { return m.body.Write(b) }
func (m *memResponse) WriteHeader(int)             {}

// score scores an uploaded file with the trial's model and answers the
// predictions as a CSV download, with `automl predict`'s checks
// (bundle.Model.WritePredictions). A problem shows the page again.
func (h *handler) score(w http.ResponseWriter, r *http.Request) {
	x, t, ok := h.useTrial(w, r)
	if !ok {
		return
	}
	fail := func(status int, msg string) {
		h.renderUse(w, r, x, t, status, func(v *useView) { v.ScoreError = msg })
	}
	up, err := h.receive(w, r)
	if err != nil {
		var fe *formFailure
		if errors.As(err, &fe) {
			fail(fe.status, fe.msg)
			return
		}
		fail(http.StatusBadRequest, "The upload was cut short or malformed: "+err.Error())
		return
	}
	defer os.RemoveAll(up.dir)
	m, err := h.s.model(r.Context(), x, t.ID, "scored")
	if err != nil {
		fail(http.StatusConflict, err.Error())
		return
	}
	opts := dataset.Options{Kinds: m.Kinds(), Encoding: up.fields.Get("encoding")}
	if d := up.fields.Get("delimiter"); d == "tab" {
		opts.Delimiter = '\t'
	} else if len(d) == 1 {
		opts.Delimiter = rune(d[0])
	}
	f, err := dataset.ReadContext(r.Context(), up.path, opts)
	if err != nil {
		fail(http.StatusUnprocessableEntity, "This file cannot be scored: "+describe(err, up.name))
		return
	}
	var out bytes.Buffer
	if _, err := m.WritePredictions(&out, f, up.name, -1); err != nil {
		fail(http.StatusUnprocessableEntity, "This file cannot be scored: "+describe(err, up.name))
		return
	}
	stem := strings.TrimSuffix(up.name, filepath.Ext(up.name))
	hd := w.Header()
	hd.Set("Content-Type", "text/csv; charset=utf-8")
	hd.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": stem + "-predictions-trial" + strconv.Itoa(t.ID) + ".csv"}))
	hd.Set("Content-Length", strconv.Itoa(out.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(out.Bytes())
}

// received is a file sent with a form: where it is, its cleaned name, and
// the form's other fields.
type received struct {
	dir, path, name string
	fields          url.Values
}

// formFailure is a refused form, with the status to answer.
type formFailure struct {
	status int
	msg    string
}

func (e *formFailure) Error() string { return e.msg }

// receive streams a multipart form's one file to a temporary folder (at
// most MaxUpload bytes); the CSRF token must come before the file, as for
// uploads. The caller removes dir.
func (h *handler) receive(w http.ResponseWriter, r *http.Request) (*received, error) {
	limit := h.s.cfg.MaxUpload
	const overhead = 64 << 10
	tooBig := &formFailure{http.StatusRequestEntityTooLarge, fmt.Sprintf("The file is larger than this server's limit of %s.", formatBytes(limit))}
	if r.ContentLength > limit+overhead {
		return nil, tooBig
	}
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(uploadTimeout))
	r.Body = http.MaxBytesReader(w, r.Body, limit+overhead)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, &formFailure{http.StatusBadRequest, "Expected a file upload form (multipart/form-data)."}
	}
	tokenOK := r.Header.Get(csrfHeader) != "" // checked by the middleware already
	rc := &received{fields: url.Values{}}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if rc.dir != "" {
				os.RemoveAll(rc.dir)
			}
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, tooBig
			}
			return nil, err
		}
		switch name := part.FormName(); name {
		case csrfField:
			b, _ := io.ReadAll(io.LimitReader(part, 256))
			tokenOK = equal(string(b), csrfToken(r))
		case "file":
			if !tokenOK {
				return nil, &formFailure{http.StatusForbidden, "The form's security token is missing or out of date. Reload the page and try again."}
			}
			if rc.dir != "" {
				os.RemoveAll(rc.dir)
				return nil, &formFailure{http.StatusBadRequest, "Send one file at a time."}
			}
			if rc.dir, err = os.MkdirTemp("", "automl-score-*"); err != nil {
				return nil, err
			}
			rc.name = sanitizeName(part.FileName())
			rc.path = filepath.Join(rc.dir, rc.name)
			n, err := saveFile(rc.path, io.LimitReader(part, limit+1))
			if err != nil {
				os.RemoveAll(rc.dir)
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					return nil, tooBig
				}
				return nil, err
			}
			if n > limit {
				os.RemoveAll(rc.dir)
				return nil, tooBig
			}
			if n == 0 {
				os.RemoveAll(rc.dir)
				return nil, &formFailure{http.StatusBadRequest, "The file " + rc.name + " is empty."}
			}
		default:
			b, _ := io.ReadAll(io.LimitReader(part, 4096))
			rc.fields.Add(name, string(b))
		}
	}
	if rc.dir == "" {
		if !tokenOK {
			return nil, &formFailure{http.StatusForbidden, "The form's security token is missing or out of date. Reload the page and try again."}
		}
		return nil, &formFailure{http.StatusBadRequest, "No file was sent: choose a CSV file first."}
	}
	if what := notText(rc.path); what != "" {
		os.RemoveAll(rc.dir)
		return nil, &formFailure{http.StatusBadRequest, "This file cannot be scored: " + rc.name + " is " + what}
	}
	return rc, nil
}

// deploy serves the trial's model inside this process, behind the UI's token.
func (h *handler) deploy(w http.ResponseWriter, r *http.Request) {
	x, t, ok := h.useTrial(w, r)
	if !ok {
		return
	}
	m, err := h.s.model(r.Context(), x, t.ID, "served")
	if err != nil {
		h.renderUse(w, r, x, t, http.StatusConflict, func(v *useView) { v.DeployError = err.Error() })
		return
	}
	base := "/api/models/" + url.PathEscape(x.Exp.Name) + "/" + strconv.Itoa(t.ID)
	sh := serving.New(m, serving.Options{Logger: h.s.log, Source: x.Exp.Name + " trial " + strconv.Itoa(t.ID),
		BasePath: base, ExternalAuth: h.s.cfg.Token != ""})
	h.s.deployed.set(deployKey(x.Exp.Name, t.ID), &deployment{h: sh, model: m, since: time.Now()})
	h.s.log.Info("deployed", "experiment", x.Exp.Name, "trial", t.ID)
	http.Redirect(w, r, "/experiments/"+url.PathEscape(x.Exp.Name)+"/trials/"+strconv.Itoa(t.ID)+"/use#deploy", http.StatusSeeOther)
}

// undeploy stops serving the trial's model.
func (h *handler) undeploy(w http.ResponseWriter, r *http.Request) {
	x, t, ok := h.useTrial(w, r)
	if !ok {
		return
	}
	h.s.deployed.set(deployKey(x.Exp.Name, t.ID), nil)
	http.Redirect(w, r, "/experiments/"+url.PathEscape(x.Exp.Name)+"/trials/"+strconv.Itoa(t.ID)+"/use#deploy", http.StatusSeeOther)
}

// api passes /api/models/<exp>/<trial>/<rest> to the deployed model's
// handler as /<rest>. The UI's security layer has checked the token.
func (h *handler) api(w http.ResponseWriter, r *http.Request) {
	exp, id := r.PathValue("exp"), r.PathValue("id")
	d := h.s.deployed.get(exp + "/" + id)
	if d == nil || !validName(exp) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		b, _ := json.Marshal(map[string]string{"error": fmt.Sprintf("model %s/%s is not deployed: deploy it from its trial's page (Use this model › Deploy)", exp, id)})
		w.Write(append(b, '\n'))
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path, r2.URL.RawPath = "/"+r.PathValue("rest"), ""
	d.h.ServeHTTP(w, r2)
}
