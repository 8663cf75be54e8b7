package serving

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/goautoml/automl/dataset"
)

// maxFieldErrors caps how many bad fields one error response lists.
const maxFieldErrors = 100

// FieldError is one bad part of a request, as listed in a 4xx response.
type FieldError struct {
	// Field is the input column, or the request member ("data", "method",
	// "columns[2]", "body", "Content-Type", "Authorization").
	Field string `json:"field"`
	// Row is the 0-based index of the record in data, when the error is
	// about one record.
	Row *int `json:"row,omitempty"`
	// Message says what was wrong and what was expected; it names the field.
	Message string `json:"message"`
}

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error  string       `json:"error"`
	Fields []FieldError `json:"fields,omitempty"`
	// Omitted counts bad fields left out of Fields (at most 100 are listed).
	Omitted int `json:"omitted,omitempty"`
}

// method is what a score request asks for.
type method uint8

const (
	methodPredict method = iota
	methodProba
)

func parseMethod(s string) (method, bool) {
	switch s {
	case "predict":
		return methodPredict, true
	case "predict_proba":
		return methodProba, true
	}
	return 0, false
}

// cell is one input value of one record.
type cell struct {
	t valType
	v string
}

// request is a parsed score request: rows × columns cells in input order.
type request struct {
	method  method
	rows    int
	cells   []cell
	pos     []int // columnar and CSV bodies: body position -> input index (-1: unknown)
	errs    []FieldError
	omitted int
	status  int // status of the error response when errs is not empty
}

func (q *request) reset() {
	*q = request{cells: q.cells[:0], pos: q.pos[:0], errs: q.errs[:0]}
}

// fail records a bad field; row < 0 means the error is not about a record.
func (q *request) fail(status int, field string, row int, format string, a ...any) {
	if q.status == 0 || status != http.StatusBadRequest {
		q.status = status
	}
	if len(q.errs) >= maxFieldErrors {
		q.omitted++
		return
	}
	fe := FieldError{Field: field, Message: fmt.Sprintf(format, a...)}
	if row >= 0 {
		fe.Row = &row
	}
	q.errs = append(q.errs, fe)
}

// parseJSON reads a JSON body: records ({"data": [{...}], "method": ...})
// or columnar ({"columns": [...], "data": [[...]]}).
func (h *handler) parseJSON(body string, q *request) {
	sc := scanner{s: body}
	dataAt, columns, haveMethod, parsed := -1, false, false, false
	if c := sc.ws(); c != '{' && sc.i < len(sc.s) {
		sc.skip(0)
		sc.end()
		if sc.err == nil {
			q.fail(http.StatusBadRequest, "body", -1, `body: want a JSON object such as {"data": [{"column": value, ...}]}, got another JSON value`)
			return
		}
	}
	if sc.expect('{') {
		for first := true; sc.more('}', first); first = false {
			k := sc.key()
			if sc.err != nil {
				break
			}
			switch k {
			case "data":
				if dataAt >= 0 || parsed {
					q.fail(http.StatusBadRequest, "data", -1, `"data" appears twice`)
					sc.skip(0)
					continue
				}
				sc.ws()
				// Parse at once when the form is known: columns already
				// read, or records (the first row is an object); otherwise
				// come back once "columns" has been seen.
				if columns || sc.firstElement() == '{' {
					h.parseRows(&sc, q, !columns)
					parsed = true
					if q.status == http.StatusRequestEntityTooLarge {
						return
					}
					continue
				}
				dataAt = sc.i
				sc.skip(0)
			case "columns":
				if parsed && !columns {
					q.fail(http.StatusBadRequest, "columns", -1, `"columns" is given, but "data" holds records (objects): send rows as arrays, or drop "columns"`)
				}
				if columns {
					q.fail(http.StatusBadRequest, "columns", -1, `"columns" appears twice`)
				}
				columns = true
				h.parseColumns(&sc, q)
			case "method":
				if haveMethod {
					q.fail(http.StatusBadRequest, "method", -1, `"method" appears twice`)
				}
				haveMethod = true
				t, v := sc.scalar()
				m, ok := parseMethod(v)
				if t != vString || !ok {
					q.fail(http.StatusBadRequest, "method", -1, `method: want "predict" or "predict_proba", got %s`, shown(t, v))
				}
				q.method = m
			default:
				q.fail(http.StatusBadRequest, k, -1, `unknown request member %q: want "data", "columns" or "method"`, k)
				sc.skip(0)
			}
		}
	}
	sc.end()
	if sc.err != nil {
		q.errs, q.omitted = q.errs[:0], 0
		q.status, q.rows = 0, 0
		q.fail(http.StatusBadRequest, "body", -1, "body: %s", sc.err.Error())
		return
	}
	if parsed {
		return
	}
	if dataAt < 0 {
		q.fail(http.StatusBadRequest, "data", -1, `"data" is missing: want {"data": [{"column": value, ...}, ...]}`)
		return
	}
	sc.i = dataAt
	if columns {
		h.parseRows(&sc, q, false)
	} else {
		h.parseRows(&sc, q, true)
	}
}

// shown describes a received value for an error message.
func shown(t valType, v string) string {
	switch t {
	case vString, vText:
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		return fmt.Sprintf("%q", v)
	case vNumber, vBool:
		return v
	}
	return t.String()
}

// parseColumns reads the "columns" array and maps body positions to inputs.
func (h *handler) parseColumns(sc *scanner, q *request) {
	if !sc.expect('[') {
		return
	}
	for first := true; sc.more(']', first); first = false {
		t, v := sc.scalar()
		field := fmt.Sprintf("columns[%d]", len(q.pos))
		if t != vString {
			q.fail(http.StatusBadRequest, field, -1, "%s: want a column name (string), got %s", field, shown(t, v))
			q.pos = append(q.pos, -1)
			continue
		}
		q.pos = append(q.pos, h.column(q, field, v))
	}
	h.checkPositions(q)
}

// column maps a column name given by the client to an input index.
func (h *handler) column(q *request, field, name string) int {
	idx, ok := h.index[name]
	if !ok {
		q.fail(http.StatusBadRequest, name, -1, "%s: unknown column %q (the model's inputs are listed in /swagger.json)", field, name)
		return -1
	}
	for _, p := range q.pos {
		if p == idx {
			q.fail(http.StatusBadRequest, name, -1, "%s: column %q appears twice", field, name)
			return -1
		}
	}
	return idx
}

// checkPositions reports the inputs a columnar or CSV body does not name.
func (h *handler) checkPositions(q *request) {
	for idx, name := range h.names {
		found := false
		for _, p := range q.pos {
			found = found || p == idx
		}
		if !found {
			q.fail(http.StatusBadRequest, name, -1, "column %q is missing (%s)", name, h.kinds[idx])
		}
	}
}

// addRow appends a row of absent cells and returns it.
func (h *handler) addRow(q *request) []cell {
	n := len(h.names)
	base := len(q.cells)
	if cap(q.cells)-base < n {
		grown := make([]cell, base, 2*cap(q.cells)+n)
		copy(grown, q.cells)
		q.cells = grown
	}
	q.cells = q.cells[:base+n]
	row := q.cells[base:]
	clear(row)
	return row
}

// parseRows reads the "data" array: objects when records is true, arrays
// in the order of "columns" otherwise.
func (h *handler) parseRows(sc *scanner, q *request, records bool) {
	if c := sc.ws(); c != '[' {
		t, v := sc.scalar()
		q.fail(http.StatusBadRequest, "data", -1, "data: want an array of records, got %s", shown(t, v))
		return
	}
	sc.i++
	for first := true; sc.more(']', first); first = false {
		r := q.rows
		if r >= h.opts.MaxRows {
			q.errs, q.omitted = q.errs[:0], 0
			q.fail(http.StatusRequestEntityTooLarge, "data", -1, "data: more than %d rows; send at most %d rows per request", h.opts.MaxRows, h.opts.MaxRows)
			return
		}
		q.rows++
		row := h.addRow(q)
		switch c := sc.ws(); {
		case records && c == '{':
			sc.i++
			h.parseRecord(sc, q, r, row)
		case !records && c == '[':
			sc.i++
			h.parseArray(sc, q, r, row)
		default:
			t, v := sc.scalar()
			want := `an object {"column": value, ...}`
			if !records {
				want = "an array of values in the order of columns"
			}
			q.fail(http.StatusBadRequest, fmt.Sprintf("data[%d]", r), r, "data[%d]: want %s, got %s", r, want, shown(t, v))
			for j := range row {
				row[j].t = vNull // reported once for the whole row
			}
		}
		if sc.err != nil {
			return
		}
	}
	if sc.err == nil && q.rows == 0 {
		q.fail(http.StatusBadRequest, "data", -1, "data: no rows to score")
	}
}

func (h *handler) parseRecord(sc *scanner, q *request, r int, row []cell) {
	for first := true; sc.more('}', first); first = false {
		k := sc.key()
		if sc.err != nil {
			return
		}
		idx, ok := h.index[k]
		if !ok {
			q.fail(http.StatusBadRequest, k, r, "data[%d]: unknown column %q (the model's inputs are listed in /swagger.json)", r, k)
			sc.skip(0)
			continue
		}
		t, v := sc.scalar()
		if row[idx].t != vAbsent {
			q.fail(http.StatusBadRequest, k, r, "data[%d]: column %q appears twice", r, k)
			continue
		}
		h.accept(q, r, idx, row, t, v)
	}
	if sc.err != nil {
		return
	}
	for idx := range row {
		if row[idx].t == vAbsent {
			q.fail(http.StatusBadRequest, h.names[idx], r, "data[%d]: column %q is missing (%s; send null for a missing value)", r, h.names[idx], h.kinds[idx])
		}
	}
}

func (h *handler) parseArray(sc *scanner, q *request, r int, row []cell) {
	n := 0
	for first := true; sc.more(']', first); first = false {
		t, v := sc.scalar()
		if n < len(q.pos) && q.pos[n] >= 0 {
			h.accept(q, r, q.pos[n], row, t, v)
		}
		n++
	}
	if sc.err != nil {
		return
	}
	if n != len(q.pos) {
		q.fail(http.StatusBadRequest, fmt.Sprintf("data[%d]", r), r, "data[%d]: %d values, but columns names %d", r, n, len(q.pos))
	}
	for idx := range row {
		if row[idx].t == vAbsent {
			row[idx].t = vNull // reported by the columns check or the count above
		}
	}
}

// accept stores a value after checking that its JSON type suits the
// column's kind; a bad value is reported and stored as missing.
func (h *handler) accept(q *request, r, idx int, row []cell, t valType, v string) {
	kind := h.kinds[idx]
	ok := false
	switch t {
	case vNull, vText:
		ok = true
	case vNumber:
		ok = kind == dataset.Numeric || kind == dataset.Categorical
	case vString:
		ok = kind == dataset.Categorical || kind == dataset.Datetime
	case vBool:
		ok = kind == dataset.Boolean
	}
	if !ok {
		q.fail(http.StatusBadRequest, h.names[idx], r, "data[%d]: column %q wants %s, got %s", r, h.names[idx], wantOf(kind), shown(t, v))
		row[idx] = cell{t: vNull}
		return
	}
	row[idx] = cell{t: t, v: v}
}

// wantOf says which JSON values a column of kind accepts.
func wantOf(kind dataset.Kind) string {
	switch kind {
	case dataset.Numeric:
		return "a number or null"
	case dataset.Boolean:
		return "true, false or null"
	case dataset.Categorical:
		return "a string (or a number, matched by its text) or null"
	case dataset.Datetime:
		return "a date or time string such as \"2006-01-02T15:04:05Z\", or null"
	}
	return string(kind)
}

// parseCSV reads a text/csv body: a header naming the columns, then one
// record per line. Cells are read as a CSV file's cells would be, by the
// column's kind; empty cells and missing markers (NA, ?, null, ...) are
// missing values.
func (h *handler) parseCSV(body string, q *request) {
	body = strings.TrimPrefix(body, "\uFEFF")
	rd := csv.NewReader(strings.NewReader(body))
	rd.FieldsPerRecord = -1
	head, err := rd.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			q.fail(http.StatusBadRequest, "body", -1, "body: the CSV is empty: want a header line naming the columns, then one line per row")
		} else {
			q.fail(http.StatusBadRequest, "body", -1, "body: CSV header: %v", err)
		}
		return
	}
	for j, name := range head {
		q.pos = append(q.pos, h.column(q, fmt.Sprintf("header column %d", j+1), strings.TrimSpace(name)))
	}
	h.checkPositions(q)
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			q.fail(http.StatusBadRequest, "body", q.rows, "body: CSV: %v", err)
			return
		}
		r := q.rows
		if r >= h.opts.MaxRows {
			q.errs, q.omitted = q.errs[:0], 0
			q.fail(http.StatusRequestEntityTooLarge, "body", -1, "body: more than %d rows; send at most %d rows per request", h.opts.MaxRows, h.opts.MaxRows)
			return
		}
		q.rows++
		row := h.addRow(q)
		line, _ := rd.FieldPos(0)
		if len(rec) != len(head) {
			q.fail(http.StatusBadRequest, "body", r, "body: CSV line %d: %d fields, the header has %d", line, len(rec), len(head))
		}
		for j, v := range rec {
			if j < len(q.pos) && q.pos[j] >= 0 {
				row[q.pos[j]] = cell{t: vText, v: v}
			}
		}
		for idx := range row {
			if row[idx].t == vAbsent {
				row[idx].t = vNull
			}
		}
	}
	if q.rows == 0 {
		q.fail(http.StatusBadRequest, "body", -1, "body: the CSV has a header but no rows to score")
	}
}
