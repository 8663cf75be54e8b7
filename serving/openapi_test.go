package serving

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// loadDoc fetches and validates the handler's OpenAPI document with
// kin-openapi, examples included.
func loadDoc(t *testing.T, h http.Handler, path string) *openapi3.T {
	t.Helper()
	rec := do(h, "GET", path, "", "")
	if rec.Code != 200 {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	doc, err := openapi3.NewLoader().LoadFromData(rec.Body.Bytes())
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("%s does not validate: %v", path, err)
	}
	return doc
}

func TestOpenAPIValidatesAndExamplesScore(t *testing.T) {
	openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.FileBodyDecoder)
	for _, tc := range []struct {
		name, dir string
		opts      Options
	}{
		{"german", germanBundle(t), Options{}},
		{"mixed", mixedBundle(t), Options{Token: "s3cret"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := load(t, tc.dir)
			h := New(m, tc.opts)
			doc := loadDoc(t, h, "/swagger.json")
			loadDoc(t, h, "/openapi.json")

			rec := doc.Components.Schemas["Record"].Value
			if len(rec.Properties) != len(m.Inputs) || len(rec.Required) != len(m.Inputs) {
				t.Fatalf("Record has %d properties, %d required; the bundle has %d inputs", len(rec.Properties), len(rec.Required), len(m.Inputs))
			}
			for _, in := range m.Inputs {
				p := rec.Properties[in.Name]
				if p == nil {
					t.Fatalf("column %q missing from the schema", in.Name)
				}
				want := map[string]string{"numeric": "number", "boolean": "boolean", "categorical": "string", "datetime": "string"}[string(in.Kind)]
				if !p.Value.Type.Is(want) {
					t.Errorf("column %q (%s): type %v, want %s", in.Name, in.Kind, p.Value.Type, want)
				}
				if p.Value.Example == nil {
					t.Errorf("column %q has no example", in.Name)
				}
				if in.Kind == "categorical" && len(p.Value.Enum) != len(in.Categories)+1 {
					t.Errorf("column %q: enum %v, want the %d training categories and null", in.Name, p.Value.Enum, len(in.Categories))
				}
				if p.Value.Description == "" {
					t.Errorf("column %q: no description of missing-value handling", in.Name)
				}
			}

			op := doc.Paths.Find("/score").Post
			route := &routers.Route{Spec: doc, Path: "/score", PathItem: doc.Paths.Find("/score"), Method: "POST", Operation: op}
			auth := func(req *http.Request) {
				if tc.opts.Token != "" {
					req.Header.Set("Authorization", "Bearer "+tc.opts.Token)
				}
			}
			check := func(req *http.Request, body []byte) {
				t.Helper()
				in := &openapi3filter.RequestValidationInput{Request: req, Route: route,
					Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
				if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
					t.Fatalf("the documented example does not validate as a request: %v", err)
				}
				req.Body = io.NopCloser(bytes.NewReader(body))
				out := httptest.NewRecorder()
				h.ServeHTTP(out, req)
				if out.Code != 200 {
					t.Fatalf("example request answered %d: %s", out.Code, out.Body)
				}
				resp := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: out.Code,
					Header: out.Header(), Options: &openapi3filter.Options{IncludeResponseStatus: true}}
				resp.SetBodyBytes(out.Body.Bytes())
				if err := openapi3filter.ValidateResponse(context.Background(), resp); err != nil {
					t.Fatalf("response %s does not match the document: %v", out.Body, err)
				}
			}
			for name, ex := range op.RequestBody.Value.Content.Get("application/json").Examples {
				body, err := json.Marshal(ex.Value.Value)
				if err != nil {
					t.Fatal(err)
				}
				req := httptest.NewRequest("POST", "/score", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				auth(req)
				t.Logf("example %s: %s", name, body)
				check(req, body)
			}
			// The validator is not lenient: a record with an unknown column, or
			// a column of the wrong type, fails it as it fails the server.
			for _, bad := range []string{`{"data":[{"nope":1}]}`, `{"data":[]}`, `{"data":[{}],"method":"predict_log"}`} {
				req := httptest.NewRequest("POST", "/score", strings.NewReader(bad))
				req.Header.Set("Content-Type", "application/json")
				in := &openapi3filter.RequestValidationInput{Request: req, Route: route,
					Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
				if err := openapi3filter.ValidateRequest(context.Background(), in); err == nil {
					t.Errorf("the document accepts %s", bad)
				}
			}
			csvBody := op.RequestBody.Value.Content.Get("text/csv").Example.(string)
			req := httptest.NewRequest("POST", "/score?method=predict_proba", strings.NewReader(csvBody))
			req.Header.Set("Content-Type", "text/csv")
			auth(req)
			check(req, []byte(csvBody))

			// The documented responses are the model's answers to the example.
			resp := op.Responses.Status(200).Value.Content.Get("application/json").Examples
			body, _ := json.Marshal(op.RequestBody.Value.Content.Get("application/json").Examples["records"].Value.Value)
			var hdr []string
			if tc.opts.Token != "" {
				hdr = []string{"Authorization", "Bearer " + tc.opts.Token}
			}
			got := do(h, "POST", "/score", "application/json", string(body), hdr...)
			want, _ := json.Marshal(resp["predict_proba"].Value.Value)
			if !jsonEqual(t, got.Body.Bytes(), want) {
				t.Errorf("documented predict_proba example %s, the server answers %s", want, got.Body)
			}
		})
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}
