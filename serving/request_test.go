package serving

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// goodRecord is a valid record of the mixed bundle, as JSON members.
const goodRecord = `"age":31,"income":4353.7,"member":true,"signup":"2021-05-19","plan":"basic","city":"Oslo"`

func TestBadRequests(t *testing.T) {
	m := load(t, mixedBundle(t))
	h := New(m, Options{MaxRows: 50, Token: ""})
	hTok := New(m, Options{Token: "tok"})
	hDef := New(m, Options{})
	rec := func(members string) string { return `{"data":[{` + members + `}]}` }
	big := `{"data":[` + strings.Repeat(`{`+goodRecord+`},`, 10<<20/len(goodRecord)) + `{` + goodRecord + `}]}`
	many := `{"data":[` + strings.TrimSuffix(strings.Repeat(`{`+goodRecord+`},`, 51), ",") + `]}`
	deep := `{"data":[{"age":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}]}`

	for _, tc := range []struct {
		name         string
		h            http.Handler
		method, path string
		ctype, body  string
		hdr          []string
		status       int
		fields       []string // each must be named by some error field
		text         string   // must appear in some message
	}{
		{name: "malformed JSON", body: `{"data": [{"age": 31,}]}`, status: 400, fields: []string{"body"}, text: "malformed JSON at byte"},
		{name: "truncated JSON", body: `{"data": [{"age": 31`, status: 400, fields: []string{"body"}, text: "end of input"},
		{name: "trailing garbage", body: rec(goodRecord) + `x`, status: 400, fields: []string{"body"}, text: "after the top-level value"},
		{name: "not an object", body: `[1,2]`, status: 400, fields: []string{"body"}},
		{name: "wrong HTTP method", method: "GET", path: "/score", status: 405, fields: []string{"method"}, text: "POST"},
		{name: "unknown route", method: "GET", path: "/predict", status: 404, fields: []string{"path"}},
		{name: "no data", body: `{"method":"predict"}`, status: 400, fields: []string{"data"}, text: "missing"},
		{name: "empty data", body: `{"data":[]}`, status: 400, fields: []string{"data"}, text: "no rows"},
		{name: "data not an array", body: `{"data":{"age":3}}`, status: 400, fields: []string{"data"}},
		{name: "record not an object", body: `{"data":[[1,2]]}`, status: 400, fields: []string{"data[0]"}},
		{name: "unknown method", body: `{"data":[{` + goodRecord + `}],"method":"predict_log_proba"}`, status: 400, fields: []string{"method"}},
		{name: "unknown query method", path: "/score?method=score", body: rec(goodRecord), status: 400, fields: []string{"method"}},
		{name: "unknown request member", body: `{"data":[{` + goodRecord + `}],"input":1}`, status: 400, fields: []string{"input"}},
		{name: "wrong types", body: rec(`"age":"31","income":true,"member":"yes","signup":20210519,"plan":["basic"],"city":"Oslo"`),
			status: 400, fields: []string{"age", "income", "member", "signup", "plan"}, text: "wants a number"},
		{name: "unknown column", body: rec(goodRecord + `,"zipcode":"69001"`), status: 400, fields: []string{"zipcode"}, text: "unknown column"},
		{name: "missing columns", body: rec(`"age":31,"income":4353.7,"member":true,"signup":"2021-05-19"`), status: 400, fields: []string{"plan", "city"}, text: "is missing"},
		{name: "duplicate column", body: rec(goodRecord + `,"age":40`), status: 400, fields: []string{"age"}, text: "twice"},
		{name: "bad date", body: rec(`"age":31,"income":4353.7,"member":true,"signup":"19 May","plan":"basic","city":"Oslo"`), status: 400, fields: []string{"signup"}, text: "not a date"},
		{name: "number out of range", body: rec(`"age":1e999,"income":4353.7,"member":true,"signup":"2021-05-19","plan":"basic","city":"Oslo"`), status: 400, fields: []string{"age"}, text: "finite"},
		{name: "every bad field of every row", body: `{"data":[{` + goodRecord + `},{"age":"x",` + goodRecord[9:] + `},{` + goodRecord + `,"signup2":1}]}`,
			status: 400, fields: []string{"age", "signup2"}},
		{name: "columnar: unknown and missing", body: `{"columns":["age","incomee"],"data":[[1,2]]}`, status: 400, fields: []string{"incomee", "income", "city"}},
		{name: "columnar: short row", body: `{"columns":["age","income","member","signup","plan","city"],"data":[[31,4353.7,true,"2021-05-19","basic"]]}`,
			status: 400, fields: []string{"data[0]"}, text: "5 values"},
		{name: "columnar: bad column name", body: `{"columns":["age",7],"data":[]}`, status: 400, fields: []string{"columns[1]"}},
		{name: "CSV: unknown header", ctype: "text/csv", body: "age,income,member,signup,plan,town\n31,1,yes,2021-01-01,basic,Oslo\n", status: 400, fields: []string{"town", "city"}},
		{name: "CSV: bad number", ctype: "text/csv", body: "age,income,member,signup,plan,city\nold,1,yes,2021-01-01,basic,Oslo\n", status: 400, fields: []string{"age"}, text: "not a finite number"},
		{name: "CSV: ragged line", ctype: "text/csv", body: "age,income,member,signup,plan,city\n31,1,yes\n", status: 400, fields: []string{"body"}, text: "line 2"},
		{name: "CSV: header only", ctype: "text/csv", body: "age,income,member,signup,plan,city\n", status: 400, fields: []string{"body"}, text: "no rows"},
		{name: "unsupported content type", ctype: "application/x-www-form-urlencoded", body: "age=3", status: 415, fields: []string{"Content-Type"}},
		{name: "10 MB body", h: hDef, body: big, status: 413, fields: []string{"body"}, text: "bytes"},
		{name: "too many rows", body: many, status: 413, fields: []string{"data"}, text: "more than 50 rows"},
		{name: "nested too deep", body: deep, status: 400, fields: []string{"body"}, text: "nested"},
		{name: "bad escape", body: `{"data":[{"a\q":1}]}`, status: 400, fields: []string{"body"}, text: "escape"},
		{name: "no token", h: hTok, body: rec(goodRecord), status: 401, fields: []string{"Authorization"}, text: "missing bearer token"},
		{name: "wrong token", h: hTok, body: rec(goodRecord), hdr: []string{"Authorization", "Bearer nope"}, status: 401, fields: []string{"Authorization"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hh := tc.h
			if hh == nil {
				hh = h
			}
			method, path, ctype := tc.method, tc.path, tc.ctype
			if method == "" {
				method = "POST"
			}
			if path == "" {
				path = "/score"
			}
			if ctype == "" && method == "POST" {
				ctype = "application/json"
			}
			r := do(hh, method, path, ctype, tc.body, tc.hdr...)
			if r.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Code, tc.status, trim(r.Body.String()))
			}
			if ct := r.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var body ErrorBody
			if err := json.Unmarshal(r.Body.Bytes(), &body); err != nil {
				t.Fatalf("error body is not JSON: %v: %s", err, trim(r.Body.String()))
			}
			if body.Error == "" || len(body.Fields) == 0 {
				t.Fatalf("error body without error or fields: %s", trim(r.Body.String()))
			}
			for _, f := range tc.fields {
				found := false
				for _, fe := range body.Fields {
					found = found || fe.Field == f && strings.Contains(fe.Message, f)
				}
				if !found {
					t.Errorf("no error names field %q (in field and message): %s", f, trim(r.Body.String()))
				}
			}
			if tc.text != "" && !strings.Contains(r.Body.String(), tc.text) {
				t.Errorf("no message says %q: %s", tc.text, trim(r.Body.String()))
			}
		})
	}
}

func trim(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

func TestRowIndexInErrors(t *testing.T) {
	h := New(load(t, mixedBundle(t)), Options{})
	body := `{"data":[{` + goodRecord + `},{` + goodRecord + `},{"age":"x",` + goodRecord[9:] + `}]}`
	r := do(h, "POST", "/score", "application/json", body)
	var eb ErrorBody
	if err := json.Unmarshal(r.Body.Bytes(), &eb); err != nil || r.Code != 400 {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	if len(eb.Fields) != 1 || eb.Fields[0].Row == nil || *eb.Fields[0].Row != 2 || !strings.Contains(eb.Fields[0].Message, "data[2]") {
		t.Fatalf("want one error about row 2, got %s", r.Body)
	}
}

func TestErrorListIsCapped(t *testing.T) {
	h := New(load(t, mixedBundle(t)), Options{})
	rows := strings.TrimSuffix(strings.Repeat(`{"age":"x",`+goodRecord[9:]+`},`, 150), ",")
	r := do(h, "POST", "/score", "application/json", `{"data":[`+rows+`]}`)
	var eb ErrorBody
	if err := json.Unmarshal(r.Body.Bytes(), &eb); err != nil || r.Code != 400 {
		t.Fatalf("%d %s", r.Code, trim(r.Body.String()))
	}
	if len(eb.Fields) != maxFieldErrors || eb.Omitted != 50 || eb.Error != "invalid request: 150 bad fields" {
		t.Fatalf("%d fields listed, %d omitted, %q", len(eb.Fields), eb.Omitted, eb.Error)
	}
}

// Batches large enough to be transformed in parallel report bad values in
// row order, and count the ones beyond the listed 100.
func TestParallelBatchErrors(t *testing.T) {
	h := New(load(t, mixedBundle(t)), Options{})
	csvBody := func(bad func(r int) bool) string {
		var b strings.Builder
		b.WriteString("age,income,member,signup,plan,city\n")
		for r := range 3000 {
			age := "31"
			if bad(r) {
				age = "old"
			}
			b.WriteString(age + ",4353.7,yes,2021-05-19,basic,Oslo\n")
		}
		return b.String()
	}
	r := do(h, "POST", "/score", "text/csv", csvBody(func(r int) bool { return r == 10 || r == 1600 || r == 2999 }))
	var eb ErrorBody
	if err := json.Unmarshal(r.Body.Bytes(), &eb); err != nil || r.Code != 400 {
		t.Fatalf("%d %s", r.Code, trim(r.Body.String()))
	}
	if len(eb.Fields) != 3 {
		t.Fatalf("want 3 errors: %s", r.Body)
	}
	for i, want := range []int{10, 1600, 2999} {
		if fe := eb.Fields[i]; fe.Field != "age" || fe.Row == nil || *fe.Row != want {
			t.Errorf("error %d: %+v, want age at row %d", i, fe, want)
		}
	}
	r = do(h, "POST", "/score", "text/csv", csvBody(func(int) bool { return true }))
	eb = ErrorBody{}
	if err := json.Unmarshal(r.Body.Bytes(), &eb); err != nil || r.Code != 400 {
		t.Fatalf("%d %s", r.Code, trim(r.Body.String()))
	}
	if len(eb.Fields) != maxFieldErrors || eb.Omitted != 3000-maxFieldErrors || eb.Error != "invalid request: 3000 bad fields" {
		t.Fatalf("%d listed, %d omitted, %q", len(eb.Fields), eb.Omitted, eb.Error)
	}
}

// "columns" may follow "data"; exactly MaxRows rows are accepted.
func TestColumnsAfterDataAndRowLimit(t *testing.T) {
	h := New(load(t, mixedBundle(t)), Options{MaxRows: 3})
	row := `[31,4353.7,true,"2021-05-19","basic","Oslo"]`
	cols := `"columns":["age","income","member","signup","plan","city"]`
	r := do(h, "POST", "/score", "application/json", `{"data":[`+row+`,`+row+`,`+row+`],`+cols+`}`)
	if r.Code != 200 || r.Body.String() != `{"predictions":["no","no","no"]}`+"\n" {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	r = do(h, "POST", "/score", "application/json", `{`+cols+`,"data":[`+row+`,`+row+`,`+row+`,`+row+`]}`)
	if r.Code != 413 {
		t.Fatalf("4 rows with MaxRows 3: %d %s", r.Code, r.Body)
	}
}
