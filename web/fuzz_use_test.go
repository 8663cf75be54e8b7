package web

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzSetupForm sends arbitrary set-up forms (dialect, types, columns,
// settings) for a small upload, as the page's GET and as "Check again": no
// answer is a 500, and none shows the server's folders.
func FuzzSetupForm(f *testing.F) {
	s := fuzzServer(f, Config{})
	h := s.Handler()
	ck, tok := session(s)
	dir, err := s.newUploadDir()
	if err != nil {
		f.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("a;b;prix;classe\n")
	for i := range 40 {
		b.WriteString([]string{"x;1;2,5;oui\n", "y;2;3,25;non\n", "z;3;1,5;oui\n"}[i%3])
	}
	if _, err := saveFile(filepath.Join(dir, "d.csv"), strings.NewReader(b.String())); err != nil {
		f.Fatal(err)
	}
	id := filepath.Base(dir)
	for _, q := range []string{"target=classe", "target=classe&encoding=windows-1252&delimiter=tab", "target=prix",
		"target=classe&type:b=categorical&type:a=numeric&exclude=a&keep=b&pos_label=oui", "target=classe&cv=1&budget=x&metric=nope",
		"target=nope&delimiter=%22", "target=classe&train_frac=0.9&val_frac=0.5&family=nope&families=set"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		// The query goes in raw: a space or control byte in it cannot be
		// written on a request line, but the handler must still cope with
		// whatever bytes a client's encoding leaves in RawQuery.
		get := httptest.NewRequest("GET", "/new/"+id, nil)
		get.URL.RawQuery = q
		for _, req := range []*http.Request{
			get,
			httptest.NewRequest("POST", "/experiments", strings.NewReader(q+"&action=check&upload="+id+"&csrf="+tok)),
		} {
			if req.Method == "POST" {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			req.Header.Set("Accept", "text/html")
			req.AddCookie(ck)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			switch rec.Code {
			case http.StatusOK, http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusForbidden, http.StatusNotFound:
			default:
				t.Fatalf("%s %q: %d %s", req.Method, q, rec.Code, rec.Body)
			}
			if body := rec.Body.String(); strings.Contains(body, s.cfg.Runs) || strings.Contains(body, uploadsDir+"/") {
				t.Fatalf("%s %q shows the server's folders", req.Method, q)
			}
		}
	})
}
