package serving

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// work is the reusable state of one score request.
type work struct {
	body bytes.Buffer
	q    request
	x    []float64
	out  []byte
	get  rowGetter
}

// score answers POST /score.
func (h *handler) score(w http.ResponseWriter, r *http.Request) int {
	csv := false
	switch ct := mediaType(r.Header.Get("Content-Type")); {
	case ct == "" || ct == "application/json" || strings.HasSuffix(ct, "+json"):
	case ct == "text/csv":
		csv = true
	default:
		return writeError(w, http.StatusUnsupportedMediaType, ErrorBody{Error: "unsupported media type",
			Fields: []FieldError{{Field: "Content-Type", Message: fmt.Sprintf("Content-Type %q: send application/json or text/csv", ct)}}})
	}
	if r.ContentLength > h.opts.MaxBodyBytes {
		return h.tooLarge(w)
	}
	// Rows are taken before the body is read when its length is known;
	// a chunked body is read first (it is bounded by MaxBodyBytes).
	held := 0
	defer func() { h.gate.release(held) }()
	if r.ContentLength >= 0 {
		n, ok := h.admit(r, r.ContentLength)
		if !ok {
			return h.busy(w, r)
		}
		held = n
	}
	wk := h.work.Get().(*work)
	defer h.work.Put(wk)
	wk.body.Reset()
	if r.ContentLength > 0 {
		wk.body.Grow(int(r.ContentLength) + 1)
	}
	if _, err := wk.body.ReadFrom(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes)); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return h.tooLarge(w)
		}
		return writeError(w, http.StatusBadRequest, ErrorBody{Error: "bad request",
			Fields: []FieldError{{Field: "body", Message: "reading the body: " + err.Error()}}})
	}
	if r.ContentLength < 0 {
		n, ok := h.admit(r, int64(wk.body.Len()))
		if !ok {
			return h.busy(w, r)
		}
		held = n
	}
	body := wk.body.String()

	q := &wk.q
	q.reset()
	if r.URL.RawQuery != "" {
		if v := r.URL.Query()["method"]; len(v) > 0 {
			m, ok := parseMethod(v[0])
			if !ok {
				q.fail(http.StatusBadRequest, "method", -1, `method: want "predict" or "predict_proba", got %q`, v[0])
			}
			q.method = m
		}
	}
	if csv {
		h.parseCSV(body, q)
	} else {
		h.parseJSON(body, q)
	}
	if q.status == http.StatusBadRequest && q.rows > 0 || len(q.errs) == 0 {
		h.transform(q, wk)
	}
	if len(q.errs) > 0 {
		return h.badRequest(w, r, q)
	}
	if q.rows >= bigRows {
		defer h.free.arm()
	}
	if q.rows < held { // the bound was an estimate: keep only the true rows
		h.gate.release(held - max(q.rows, 1))
		held = max(q.rows, 1)
	}

	P, err := h.predict(wk.x, q.rows)
	if err == nil {
		wk.out, err = h.encode(wk.out[:0], P, q.method)
	}
	if err != nil {
		h.log.Error("serving: score", "rows", q.rows, "err", err)
		return writeError(w, http.StatusInternalServerError, ErrorBody{Error: "scoring failed: " + err.Error()})
	}
	h.met.rows.Add(uint64(q.rows))
	return writeJSON(w, http.StatusOK, wk.out)
}

// predict scores the rows transformed into x by every member and combines
// the members' probabilities as the bundle says.
func (h *handler) predict(x []float64, rows int) (*mat.Dense, error) {
	ps := make([]*mat.Dense, len(h.parts))
	for k, p := range h.parts {
		X := mat.NewDense(rows, p.nf, x[rows*p.off:rows*(p.off+p.nf)])
		P, err := p.clf.PredictProba(X)
		if err != nil {
			return nil, err
		}
		if n, c := P.Dims(); n != rows || c != len(h.labels) {
			return nil, fmt.Errorf("model returned %d×%d probabilities for %d rows and %d classes", n, c, rows, len(h.labels))
		}
		ps[k] = P
	}
	return h.m.Mix(ps)
}

// rowsBound is the most rows a body of n bytes can hold: every row has at
// least one byte per input column (a separator or a newline).
func (h *handler) rowsBound(n int64) int {
	if n < 0 {
		return h.opts.MaxRows
	}
	return int(min(int64(h.opts.MaxRows), n/int64(max(1, len(h.names)))+1))
}

// admit takes the rows of a body of n bytes, waiting at most QueueWait.
func (h *handler) admit(r *http.Request, n int64) (int, bool) {
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.QueueWait)
	defer cancel()
	return h.gate.acquire(ctx, h.rowsBound(n))
}

// busy answers 503 to a request that waited QueueWait for rows in vain.
func (h *handler) busy(w http.ResponseWriter, r *http.Request) int {
	w.Header().Set("Retry-After", "1")
	return writeError(w, http.StatusServiceUnavailable, ErrorBody{Error: "server busy",
		Fields: []FieldError{{Field: "body", Message: fmt.Sprintf("the server is scoring %d rows already (its bound is %d); retry after a second, or send fewer rows per request", h.gate.inFlight(), h.opts.MaxRowsInFlight)}}})
}

func (h *handler) tooLarge(w http.ResponseWriter) int {
	return writeError(w, http.StatusRequestEntityTooLarge, ErrorBody{Error: "request too large",
		Fields: []FieldError{{Field: "body", Message: fmt.Sprintf("body: more than %d bytes; send fewer rows per request", h.opts.MaxBodyBytes)}}})
}

func (h *handler) badRequest(w http.ResponseWriter, r *http.Request, q *request) int {
	status := q.status
	if status == 0 {
		status = http.StatusBadRequest
	}
	n := len(q.errs) + q.omitted
	msg := fmt.Sprintf("invalid request: %d bad field", n)
	if n != 1 {
		msg += "s"
	}
	if status == http.StatusRequestEntityTooLarge {
		msg = "request too large"
	}
	if h.log.Enabled(r.Context(), -4) { // slog.LevelDebug
		h.log.Debug("serving: rejected", "status", status, "fields", n, "first", q.errs[0].Message)
	}
	return writeError(w, status, ErrorBody{Error: msg, Fields: q.errs, Omitted: q.omitted})
}

// parallelRows is the batch size from which rows are transformed on every
// core.
const parallelRows = 2048

// transform turns every row into features in wk.x: member k's rows × nf
// matrix at rows*off. A row a pipeline refuses is probed column by column,
// so that every bad value is reported once.
// Large batches are split across GOMAXPROCS goroutines.
func (h *handler) transform(q *request, wk *work) {
	need := q.rows * h.nf
	if cap(wk.x) < need {
		wk.x = make([]float64, need)
	}
	x := wk.x[:need]
	workers := runtime.GOMAXPROCS(0)
	if q.rows < parallelRows || workers < 2 {
		wk.get = rowGetter{names: h.names, index: h.index}
		errs, extra := h.transformRows(q, x, 0, q.rows, &wk.get)
		for _, e := range errs {
			q.fail(http.StatusBadRequest, e.Field, *e.Row, "%s", e.Message)
		}
		q.omitted += extra
		return
	}
	per := (q.rows + workers - 1) / workers
	errs := make([][]FieldError, workers)
	extra := make([]int, workers)
	var wg sync.WaitGroup
	for k := range workers {
		lo, hi := k*per, min((k+1)*per, q.rows)
		if lo >= hi {
			break
		}
		wg.Go(func() {
			g := rowGetter{names: h.names, index: h.index}
			errs[k], extra[k] = h.transformRows(q, x, lo, hi, &g)
		})
	}
	wg.Wait()
	for k, es := range errs {
		for _, e := range es {
			q.fail(http.StatusBadRequest, e.Field, *e.Row, "%s", e.Message)
		}
		q.omitted += extra[k]
	}
}

// transformRows transforms rows lo..hi-1 and returns the first
// maxFieldErrors bad values found and the count of the others.
func (h *handler) transformRows(q *request, x []float64, lo, hi int, g *rowGetter) (errs []FieldError, extra int) {
	n := len(h.names)
	for r := lo; r < hi; r++ {
		g.cells = q.cells[r*n : (r+1)*n]
		ok := true
		for _, p := range h.parts {
			g.next, g.only = 0, -1
			if err := p.prep.TransformRow(g.get, h.rowOf(x, q.rows, p, r)); err != nil {
				ok = false
				break
			}
		}
		if ok {
			continue
		}
		for j := range n {
			if c := g.cells[j]; c.t == vNull || c.t == vAbsent {
				continue
			}
			var err error
			for _, p := range h.parts {
				g.next, g.only = 0, j
				if err = p.prep.TransformRow(g.get, h.rowOf(x, q.rows, p, r)); err != nil {
					break
				}
			}
			if err != nil && len(errs) >= maxFieldErrors {
				extra++
			} else if err != nil {
				row := r
				errs = append(errs, FieldError{Field: h.names[j], Row: &row,
					Message: fmt.Sprintf("data[%d]: %s", r, strings.TrimPrefix(err.Error(), "preprocess: "))})
			}
		}
	}
	return errs, extra
}

// rowOf is row r of member p's matrix in x, for a request of rows rows.
func (h *handler) rowOf(x []float64, rows int, p part, r int) []float64 {
	at := rows*p.off + r*p.nf
	return x[at : at+p.nf]
}

// rowGetter hands one record's cells to TransformRow, which asks for the
// columns in the pipeline's order: the next expected column is checked
// first, before the map.
type rowGetter struct {
	names []string
	index map[string]int
	cells []cell
	next  int
	only  int // >= 0: every other column reads as missing (probing)
}

func (g *rowGetter) get(col string) (string, bool) {
	j := g.next
	if j >= len(g.names) || g.names[j] != col {
		var ok bool
		if j, ok = g.index[col]; !ok {
			return "", false
		}
	}
	g.next = j + 1
	if g.only >= 0 && j != g.only {
		return "", false
	}
	switch c := g.cells[j]; c.t {
	case vString, vNumber, vBool, vText:
		return c.v, true
	}
	return "", false
}

// encode writes the response body for P.
func (h *handler) encode(b []byte, P *mat.Dense, m method) ([]byte, error) {
	rows, _ := P.Dims()
	if m == methodPredict {
		b = append(b, `{"predictions":[`...)
		for i := range rows {
			best := h.m.Label(P.RawRowView(i))
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, h.labels[best]...)
		}
		return append(b, "]}\n"...), nil
	}
	b = append(b, `{"classes":`...)
	b = append(b, h.classes...)
	b = append(b, `,"probabilities":[`...)
	for i := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for j, v := range P.RawRowView(i) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return b, fmt.Errorf("row %d: probability of class %s is %v", i, h.m.Classes[j], v)
			}
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
		}
		b = append(b, ']')
	}
	return append(b, "]}\n"...), nil
}
