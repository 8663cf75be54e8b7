package serving

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzScore sends arbitrary bodies to /score: the handler must answer 200,
// 400 or 413 with a JSON body, never panic, and call JSON malformed only
// when encoding/json agrees (nesting beyond maxDepth aside).
func FuzzScore(f *testing.F) {
	h := New(load(f, mixedBundle(f)), Options{MaxRows: 100})
	f.Add(false, `{"data":[{`+goodRecord+`}],"method":"predict_proba"}`)
	f.Add(false, `{"columns":["age","income","member","signup","plan","city"],"data":[[31,4353.7,true,"2021-05-19","basic","Oslo"],[null,null,null,null,null,null]]}`)
	f.Add(false, `{"data":[{"age":"\u00e9\ud83d\ude00","x":[1,{"y":null}]}]}`)
	f.Add(false, `{"data":[{"age":-0.5e+3,"income":1E2}]} `)
	f.Add(true, "age,income,member,signup,plan,city\n31,4353.7,yes,2021-05-19,basic,Oslo\n,,,,,\n")
	f.Add(true, "\ufeff\"age\",income\n\"3\"\"1\",2\n")
	f.Fuzz(func(t *testing.T, csv bool, body string) {
		ct := "application/json"
		if csv {
			ct = "text/csv"
		}
		r := do(h, "POST", "/score", ct, body)
		switch r.Code {
		case 200, 400, 413:
		default:
			t.Fatalf("status %d for %q", r.Code, body)
		}
		if !json.Valid(r.Body.Bytes()) {
			t.Fatalf("answer is not JSON: %s", r.Body)
		}
		if csv || r.Code != 400 {
			return
		}
		malformed := strings.Contains(r.Body.String(), "malformed JSON")
		if malformed && json.Valid([]byte(body)) && !strings.Contains(r.Body.String(), "nested deeper") {
			t.Fatalf("valid JSON called malformed: %q -> %s", body, r.Body)
		}
		if !malformed && !json.Valid([]byte(body)) {
			t.Fatalf("invalid JSON not called malformed: %q -> %s", body, r.Body)
		}
	})
}
