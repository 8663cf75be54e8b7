package web

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCSRF(t *testing.T) {
	_, c := newTestServer(t, Config{})
	tok := c.csrf()
	for _, path := range []string{"/samples/german_credit", "/experiments", "/experiments/x/stop", "/login"} {
		code, body, _ := c.post(path, url.Values{})
		wantStatus(t, path+" without token", code, http.StatusForbidden, body)
		code, body, _ = c.post(path, url.Values{"csrf": {tok + "x"}})
		wantStatus(t, path+" with a wrong token", code, http.StatusForbidden, body)
	}
	// A token belongs to its session: another browser's token is refused.
	_, other := newTestServer(t, Config{})
	code, body, _ := c.post("/samples/german_credit", url.Values{"csrf": {other.csrf()}})
	wantStatus(t, "foreign token", code, http.StatusForbidden, body)
	// A cross-site browser request is refused even with a token.
	req, _ := http.NewRequest("POST", c.base+"/samples/german_credit", strings.NewReader(url.Values{"csrf": {tok}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	code, body, _ = c.do(req)
	wantStatus(t, "cross-site", code, http.StatusForbidden, body)
	code, body, _ = c.post("/samples/german_credit", url.Values{"csrf": {tok}})
	wantStatus(t, "sample with token", code, http.StatusSeeOther, body)
	code, body, _ = c.post("/samples/iris", url.Values{"csrf": {tok}})
	wantStatus(t, "unknown sample", code, http.StatusNotFound, body)
}

func TestToken(t *testing.T) {
	_, c := newTestServer(t, Config{Token: "s3cret"})
	code, body, _ := c.get("/")
	wantStatus(t, "no token, HTML", code, http.StatusUnauthorized, body)
	if !strings.Contains(body, `name="token"`) {
		t.Errorf("401 page is not the login form")
	}
	req, _ := http.NewRequest("GET", c.base+"/experiments/x/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	code, body, _ = c.do(req)
	wantStatus(t, "no token, events", code, http.StatusUnauthorized, body)
	code, body, _ = c.get("/static/style.css")
	wantStatus(t, "static without token", code, 200, body)

	_, body, _ = c.get("/login")
	tok := csrfRE.FindStringSubmatch(body)[1]
	code, body, _ = c.post("/login", url.Values{"csrf": {tok}, "token": {"guess"}, "next": {"/new"}})
	wantStatus(t, "wrong token", code, http.StatusUnauthorized, body)
	code, body, resp := c.post("/login", url.Values{"csrf": {tok}, "token": {"s3cret"}, "next": {"//evil.example/"}})
	wantStatus(t, "login", code, http.StatusSeeOther, body)
	if loc := resp.Header.Get("Location"); loc != "/" {
		t.Errorf("login redirects off-site to %q", loc)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == authCookie && strings.Contains(ck.Value, "s3cret") {
			t.Errorf("login cookie holds the token itself")
		}
	}
	code, body, _ = c.get("/")
	wantStatus(t, "after login", code, 200, body)

	_, fresh := newTestServer(t, Config{Token: "other"})
	req, _ = http.NewRequest("GET", fresh.base+"/", nil)
	req.Header.Set("Authorization", "Bearer other")
	code, body, _ = fresh.do(req)
	wantStatus(t, "bearer", code, 200, body)
}

func TestCheckAddr(t *testing.T) {
	for _, tc := range []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:8080", "", true},
		{"localhost:8080", "", true},
		{"[::1]:8080", "", true},
		{"127.8.9.1:80", "", true},
		{":8080", "", false},
		{"0.0.0.0:8080", "", false},
		{"192.168.1.4:8080", "", false},
		{"0.0.0.0:8080", "t", true},
		{"nonsense", "t", false},
	} {
		if err := CheckAddr(tc.addr, tc.token); (err == nil) != tc.ok {
			t.Errorf("CheckAddr(%q, %q) = %v", tc.addr, tc.token, err)
		}
	}
}

func TestDownloadsStayInStore(t *testing.T) {
	t.Parallel()
	s, c := newTestServer(t, Config{})
	name := c.startExperiment(url.Values{"budget": {"1"}, "family": {"naive_bayes"}, "cv": {"0"}})
	waitRun(t, s, name)
	secret := filepath.Join(t.TempDir(), "secret.txt")
	os.WriteFile(secret, []byte("top secret"), 0o644)
	if err := os.Symlink(secret, filepath.Join(s.cfg.Runs, name, "leak.txt")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(s.cfg.Runs, "outside.txt"), []byte("not an experiment file"), 0o644)
	for _, p := range []string{
		"/files/..%2foutside.txt",
		"/files/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
		"/files/%2Fetc%2Fpasswd",
		"/files/" + url.PathEscape(secret),
		"/files/leak.txt",
		"/files/trials",
		"/files/",
		"/files/.%2F..%2Foutside.txt",
	} {
		code, body, _ := c.get("/experiments/" + name + p)
		if code == 200 || strings.Contains(body, "secret") || strings.Contains(body, "root:") || strings.Contains(body, "not an experiment") {
			t.Errorf("%s: status %d, body %.60q", p, code, body)
		}
	}
	// Cleaned paths redirect (ServeMux) and never serve the file.
	for _, p := range []string{"/files/../../outside.txt", "/files//etc/passwd"} {
		code, body, _ := c.get("/experiments/" + name + p)
		if code == 200 || strings.Contains(body, "root:") {
			t.Errorf("%s: status %d", p, code)
		}
	}
	code, body, _ := c.get("/experiments/" + name + "/files/experiment.json")
	wantStatus(t, "experiment.json", code, 200, body)
	code, body, _ = c.get("/experiments/" + url.PathEscape("../"+filepath.Base(s.cfg.Runs)) + "/files/experiment.json")
	if code == 200 {
		t.Errorf("experiment name with ../ served a file")
	}
}

// TestSlowClients: a stalled upload and a stalled event stream do not keep
// anyone else waiting.
func TestSlowClients(t *testing.T) {
	t.Parallel()
	s, c := newTestServer(t, Config{})
	name := c.startExperiment(url.Values{"budget": {"3"}, "family": {"logistic"}, "cv": {"0"}})
	u, _ := url.Parse(c.base)
	tok := c.csrf()
	var cookies []string
	for _, ck := range c.hc.Jar.Cookies(u) {
		cookies = append(cookies, ck.Name+"="+ck.Value)
	}
	// An upload that sends its headers and a few bytes, then stalls.
	up, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	fmt.Fprintf(up, "POST /uploads HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\nX-CSRF-Token: %s\r\nContent-Type: multipart/form-data; boundary=xx\r\nContent-Length: 100000\r\n\r\n--xx\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\na,b\n",
		u.Host, strings.Join(cookies, "; "), tok)
	// An event stream whose reader never reads.
	ev, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	fmt.Fprintf(ev, "GET /experiments/%s/events HTTP/1.1\r\nHost: %s\r\n\r\n", name, u.Host)
	time.Sleep(200 * time.Millisecond)
	for _, p := range []string{"/", "/experiments/" + name, "/new"} {
		start := time.Now()
		code, body, _ := c.get(p)
		wantStatus(t, p, code, 200, body)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s took %v beside slow clients", p, d)
		}
	}
	waitRun(t, s, name)
}

// TestLoginRedirectStaysLocal: after login the browser goes only to a path
// of this server (issue 17, finding 1: "/%09/evil.example" led off-site).
func TestLoginRedirectStaysLocal(t *testing.T) {
	for _, tc := range []struct{ next, want string }{
		{"/new", "/new"},
		{"/experiments/x?tab=trials#top", "/experiments/x?tab=trials#top"},
		{"", "/"},
		{"new", "/"},
		{"//evil.example/", "/"},
		{"/\t/evil.example", "/"},
		{"/\n/evil.example", "/"},
		{"/\r/evil.example", "/"},
		{"/\\evil.example", "/"},
		{"/\\/evil.example", "/"},
		{"/%5c/evil.example", "/%5c/evil.example"}, // an escaped backslash stays a path
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"/\x00/evil.example", "/"},
		{"/\x7f/evil.example", "/"},
	} {
		if got := localPath(tc.next); got != tc.want {
			t.Errorf("localPath(%q) = %q, want %q", tc.next, got, tc.want)
		}
	}
	_, c := newTestServer(t, Config{Token: "s3cret"})
	_, body, _ := c.get("/login")
	tok := csrfRE.FindStringSubmatch(body)[1]
	for _, next := range []string{"/\t/evil.example", "/\\evil.example", "//evil.example"} {
		code, body, resp := c.post("/login", url.Values{"csrf": {tok}, "token": {"s3cret"}, "next": {next}})
		wantStatus(t, "login", code, http.StatusSeeOther, body)
		if loc := resp.Header.Get("Location"); loc != "/" {
			t.Errorf("next=%q: login redirects to %q", next, loc)
		}
	}
}
