package web

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goautoml/automl/finish"
)

// fuzzServer is a server on a runs folder holding one experiment folder,
// a file outside it and a symbolic link from it to a secret.
func fuzzServer(f *testing.F, cfg Config) *Server {
	cfg.Runs = f.TempDir()
	cfg.Finish = &finish.Options{ExplainTop: 0, Notebooks: "none"}
	secret := filepath.Join(f.TempDir(), "secret.txt")
	os.WriteFile(secret, []byte("TOP-SECRET"), 0o644)
	exp := filepath.Join(cfg.Runs, "e1", "trials", "0")
	os.MkdirAll(exp, 0o755)
	os.WriteFile(filepath.Join(exp, "model.json"), []byte(`{"ok":1}`), 0o644)
	os.Symlink(secret, filepath.Join(cfg.Runs, "e1", "leak.txt"))
	s, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	os.WriteFile(filepath.Join(cfg.Runs, "outside.txt"), []byte("TOP-SECRET"), 0o644)
	f.Cleanup(func() { s.Close() })
	return s
}

// session returns a session cookie and its CSRF token.
func session(s *Server) (*http.Cookie, string) {
	v := strings.Repeat("a", 43)
	return &http.Cookie{Name: sessionCookie, Value: v}, s.mac("csrf", v)
}

// FuzzURLPath sends arbitrary paths to the UI: no answer is a 500, and
// nothing outside the runs folder is ever served.
func FuzzURLPath(f *testing.F) {
	s := fuzzServer(f, Config{})
	h := s.Handler()
	ck, tok := session(s)
	for _, p := range []string{"/", "/new", "/experiments/e1", "/experiments/e1/files/trials/0/model.json",
		"/experiments/e1/files/leak.txt", "/experiments/e1/files/..%2foutside.txt", "/experiments/..%2f/files/x",
		"/experiments/e1/trials/0/bundle.zip", "/experiments/e1/trials/00/artifacts.zip", "/static/../../etc/passwd",
		"/new/0123456789abcdef", "/login?next=/%09/evil", "/experiments/e1/events", "/%2e%2e/%2e%2e/etc/passwd"} {
		f.Add("GET", p)
	}
	f.Add("POST", "/experiments/e1/stop")
	f.Fuzz(func(t *testing.T, method, target string) {
		if method != "POST" && method != "HEAD" {
			method = "GET"
		}
		u, err := url.ParseRequestURI(target)
		if err != nil || !strings.HasPrefix(target, "/") || strings.HasSuffix(u.Path, "/events") {
			return // the client cannot send it; event streams stay open
		}
		req := &http.Request{Method: method, URL: u, RequestURI: target, Host: "localhost", Header: http.Header{
			"Accept": {"text/html"}, csrfHeader: {tok}}, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
		req.AddCookie(ck)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q: %d %s", method, target, rec.Code, rec.Body)
		}
		if bytes.Contains(rec.Body.Bytes(), []byte("TOP-SECRET")) {
			t.Fatalf("%s %q served a file outside the store", method, target)
		}
	})
}

// FuzzLoginNext checks the login redirect against what a browser does with
// a Location: it drops tabs and newlines and reads "\" as "/"; the result
// must stay on this server.
func FuzzLoginNext(f *testing.F) {
	for _, s := range []string{"/", "/new", "//evil", "/\t/evil", "/\\evil", "https://evil", "/a?b=//c", "/%2f%2fevil", "\x00", "/.//evil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := localPath(next)
		if got != "/" && got != next {
			t.Fatalf("localPath(%q) = %q: neither next nor /", next, got)
		}
		seen := strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(got)
		u, err := url.Parse(seen)
		if err != nil {
			t.Fatalf("localPath(%q) = %q does not parse: %v", next, got, err)
		}
		if u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(seen, "/") || strings.HasPrefix(seen, "//") {
			t.Fatalf("localPath(%q) = %q leaves the server (a browser reads %q)", next, got, seen)
		}
	})
}

// FuzzUpload posts arbitrary file names and contents: the answer is a
// redirect to the setup page or a 4xx/507 page, and every file written
// stays in runs/.uploads under a sanitized name.
func FuzzUpload(f *testing.F) {
	s := fuzzServer(f, Config{MaxUpload: 64 << 10, UploadQuota: 1 << 20})
	h := s.Handler()
	ck, tok := session(s)
	f.Add("data.csv", []byte("a,b,class\n1,2,x\n3,4,y\n"))
	f.Add(`..\../evil name;rm -rf.csv`, []byte("a;b\n1,5;2\n"))
	f.Add("", []byte{})
	f.Add("x.csv", []byte("\xef\xbb\xbf\"a\"\"\",b\n\"1\n2\",3\n"))
	f.Add("bin.csv", []byte("\x00\x01PK\x03\x04"))
	uploads := filepath.Join(s.cfg.Runs, uploadsDir)
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			return
		}
		fw.Write(data)
		mw.Close()
		req := httptest.NewRequest("POST", "/uploads", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set(csrfHeader, tok)
		req.AddCookie(ck)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusSeeOther, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusInsufficientStorage:
		default:
			t.Fatalf("upload %q: %d %s", name, rec.Code, rec.Body)
		}
		filepath.WalkDir(s.cfg.Runs, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() && strings.HasPrefix(p, uploads) {
				if base := d.Name(); base != sanitizeName(base) {
					t.Fatalf("upload %q stored as %q", name, base)
				}
			}
			return nil
		})
		entries, _ := os.ReadDir(uploads)
		for _, e := range entries {
			os.RemoveAll(filepath.Join(uploads, e.Name()))
		}
	})
}
