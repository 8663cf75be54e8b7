package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/goautoml/automl/finish"
)

// TestFormFinish: the settings form reads the finishing step's choices
// with the command line's defaults and validation.
func TestFormFinish(t *testing.T) {
	def := finish.Defaults()
	withServer := def
	withServer.MLflow.URI = "http://mlflow.example:5000"
	for _, tc := range []struct {
		name string
		def  finish.Options
		q    url.Values
		want func(finish.Options) bool
		err  string
	}{
		{"untouched: the defaults", def, url.Values{}, func(o finish.Options) bool {
			return o.ExplainTop == finish.DefaultExplainTop && o.Notebooks == finish.All && o.Share == finish.DefaultShare
		}, ""},
		{"set", def, url.Values{"explain_top": {"2"}, "notebooks": {"top"}, "finish_share": {"0.25"}}, func(o finish.Options) bool {
			return o.ExplainTop == 2 && o.Notebooks == finish.Top && o.Share == 0.25 && o.MLflow.URI == ""
		}, ""},
		{"no explanations", def, url.Values{"explain_top": {"0"}, "notebooks": {"none"}}, func(o finish.Options) bool { return !o.Active() }, ""},
		{"negative top", def, url.Values{"explain_top": {"-1"}}, nil, `explain top "-1"`},
		{"bad notebooks", def, url.Values{"notebooks": {"some"}}, nil, `notebooks "some": expected all, top or none`},
		{"share too large", def, url.Values{"finish_share": {"0.95"}}, nil, `finish share "0.95"`},
		{"mlflow without a server", def, url.Values{"mlflow": {"on"}}, nil, "not started with an MLflow tracking server"},
		{"mlflow on by default with a server", withServer, url.Values{}, func(o finish.Options) bool { return o.MLflow.URI == withServer.MLflow.URI }, ""},
		{"mlflow unticked", withServer, url.Values{"finishing": {"set"}}, func(o finish.Options) bool { return o.MLflow.URI == "" }, ""},
		{"mlflow ticked", withServer, url.Values{"finishing": {"set"}, "mlflow": {"on"}, "mlflow_register_model": {"credit"}}, func(o finish.Options) bool {
			return o.MLflow.URI == withServer.MLflow.URI && o.MLflow.RegisterModel == "credit"
		}, ""},
	} {
		o, err := finishFrom(tc.q, tc.def)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err == "" && !tc.want(o):
			t.Errorf("%s: got %+v", tc.name, o)
		}
	}
}

// TestSetupShowsFinish: the settings page offers the finishing choices,
// MLflow only when the server has a tracking server, and a bad value is
// refused by the start form with the command line's message.
func TestSetupShowsFinish(t *testing.T) {
	def := finish.Defaults()
	_, c := newTestServer(t, Config{Finish: &def})
	tok := c.csrf()
	_, _, resp := c.post("/samples/german_credit", url.Values{"csrf": {tok}})
	loc := resp.Header.Get("Location")
	code, body, _ := c.get(loc + "?target=class")
	wantStatus(t, "setup", code, http.StatusOK, body)
	for _, want := range []string{`name="explain_top" type="number" min="0" step="1" value="5"`, `<option value="all" selected>`,
		`name="finish_share" type="number" min="0" max="0.9" step="0.05" value="0.1"`} {
		if !strings.Contains(body, want) {
			t.Errorf("setup page lacks %s", want)
		}
	}
	if strings.Contains(body, `name="mlflow"`) {
		t.Error("setup page offers MLflow though the server has no tracking server")
	}
	form := url.Values{"csrf": {tok}, "upload": {strings.TrimPrefix(loc, "/new/")}, "target": {"class"}, "finish_share": {"2"}}
	code, body, _ = c.post("/experiments", form)
	if code != http.StatusBadRequest || !strings.Contains(body, "finish share") {
		t.Errorf("a share of 2: status %d\n%.400s", code, body)
	}

	withServer := finish.Defaults()
	withServer.MLflow.URI = "http://mlflow.example:5000"
	_, c2 := newTestServer(t, Config{Finish: &withServer})
	tok = c2.csrf()
	_, _, resp = c2.post("/samples/german_credit", url.Values{"csrf": {tok}})
	_, body, _ = c2.get(resp.Header.Get("Location") + "?target=class")
	if !strings.Contains(body, `name="mlflow" value="on" checked> Log to MLflow at http://mlflow.example:5000`) {
		t.Error("setup page does not offer the server's MLflow")
	}
}
