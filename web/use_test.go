package web

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/goautoml/automl/store"
)

// An upload that starts an experiment moves into it: the uploads folder is
// emptied at once (issue 17), the experiment reads its own copy, and the
// upload's set-up page still works from that copy.
func TestUploadMovesIntoExperiment(t *testing.T) {
	s, c := newTestServer(t, Config{})
	tok := c.csrf()
	_, _, resp := c.post("/samples/german_credit", url.Values{"csrf": {tok}})
	loc := resp.Header.Get("Location")
	up := strings.TrimPrefix(loc, "/new/")
	form := url.Values{"csrf": {tok}, "upload": {up}, "target": {"class"}, "families": {"set"}}
	for k, v := range fastRun {
		form[k] = v
	}
	code, body, resp := c.post("/experiments", form)
	wantStatus(t, "start", code, http.StatusSeeOther, body)
	name := strings.TrimPrefix(resp.Header.Get("Location"), "/experiments/")
	if ents, _ := os.ReadDir(store.Uploads(s.cfg.Runs)); len(ents) != 0 {
		t.Errorf("%d uploads left once the experiment started", len(ents))
	}
	waitRun(t, s, name)
	x, err := s.load(name)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.Abs(store.At(filepath.Join(s.cfg.Runs, name)).Data("german_credit.csv"))
	if x.Exp.Config.Data != want || x.Exp.Data.Path != want {
		t.Errorf("data %q / %q, want the experiment's copy %q", x.Exp.Config.Data, x.Exp.Data.Path, want)
	}
	code, body, _ = c.get(loc + "?target=class")
	wantStatus(t, "set-up page of the moved upload", code, http.StatusOK, body)
}

// A deployed model answers programs at /api/models/ without a form's CSRF
// token, but not cross-site browser requests; undeployed, it is a JSON 404.
func TestDeployedAPI(t *testing.T) {
	s, c := newTestServer(t, Config{})
	name := c.startExperiment(fastRun)
	waitRun(t, s, name)
	x, _ := s.load(name)
	id := strconv.Itoa(*x.Exp.Best)
	trial := "/experiments/" + name + "/trials/" + id
	code, body, _ := c.post(trial+"/deploy", url.Values{"csrf": {c.csrf()}})
	wantStatus(t, "deploy", code, http.StatusSeeOther, body)
	code, body, _ = c.get(trial + "/use")
	wantStatus(t, "use page", code, http.StatusOK, body)
	i := strings.Index(body, `id="example-body" hidden readonly aria-label="Example request body">`)
	if i < 0 {
		t.Fatalf("no example body on the use page:\n%s", body)
	}
	rest := body[i+len(`id="example-body" hidden readonly aria-label="Example request body">`):]
	example := htmlUnescape(rest[:strings.Index(rest, "</textarea>")])
	api := c.base + "/api/models/" + name + "/" + id
	for _, tc := range []struct {
		site string
		want int
	}{{"", 200}, {"cross-site", 403}} {
		req, _ := http.NewRequest("POST", api+"/score", strings.NewReader(example))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		if tc.site != "" {
			req.Header.Set("Sec-Fetch-Site", tc.site)
		}
		code, body, _ := c.do(req)
		wantStatus(t, "score from "+orText(tc.site, "a program"), code, tc.want, body)
		if tc.want == 200 && !strings.Contains(body, `"probabilities"`) {
			t.Errorf("score answer %s", body)
		}
	}
	code, body, _ = c.post(trial+"/undeploy", url.Values{"csrf": {c.csrf()}})
	wantStatus(t, "undeploy", code, http.StatusSeeOther, body)
	req, _ := http.NewRequest("POST", api+"/score", strings.NewReader(example))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	code, body, _ = c.do(req)
	if code != 404 || !strings.Contains(body, "is not deployed") {
		t.Errorf("undeployed model: %d %s", code, body)
	}
}

func orText(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&#34;", `"`, "&quot;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}
