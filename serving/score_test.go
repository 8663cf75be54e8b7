package serving

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/dataset"
)

// probaResponse is the predict_proba answer.
type probaResponse struct {
	Classes       []string    `json:"classes"`
	Probabilities [][]float64 `json:"probabilities"`
}

// bodies renders frame rows as the three request forms: JSON records, JSON
// columns and CSV. Missing cells become null (JSON) or empty (CSV).
func bodies(t *testing.T, m *bundle.Model, f *dataset.Frame, rows []int) (records, columns, csvBody string) {
	t.Helper()
	value := func(c *dataset.Column, r int) string {
		if c.Missing[r] {
			return "null"
		}
		switch c.Kind {
		case dataset.Numeric:
			return c.String(r)
		case dataset.Boolean:
			return map[bool]string{true: "true", false: "false"}[c.Num[r] == 1]
		}
		b, _ := json.Marshal(c.String(r))
		return string(b)
	}
	var rec, col, csv strings.Builder
	var names []string
	for _, in := range m.Inputs {
		names = append(names, in.Name)
	}
	hdr, _ := json.Marshal(names)
	rec.WriteString(`{"method":"predict_proba","data":[`)
	fmt.Fprintf(&col, `{"columns":%s,"method":"predict_proba","data":[`, hdr)
	for i, n := range names {
		if i > 0 {
			csv.WriteByte(',')
		}
		csv.WriteString(`"` + n + `"`)
	}
	csv.WriteByte('\n')
	for k, r := range rows {
		if k > 0 {
			rec.WriteByte(',')
			col.WriteByte(',')
		}
		rec.WriteByte('{')
		col.WriteByte('[')
		for i, n := range names {
			c := f.Column(n)
			if c == nil {
				t.Fatalf("frame has no column %q", n)
			}
			if i > 0 {
				rec.WriteByte(',')
				col.WriteByte(',')
				csv.WriteByte(',')
			}
			key, _ := json.Marshal(n)
			fmt.Fprintf(&rec, "%s:%s", key, value(c, r))
			col.WriteString(value(c, r))
			if !c.Missing[r] {
				csv.WriteString(`"` + c.String(r) + `"`)
			}
		}
		rec.WriteByte('}')
		col.WriteByte(']')
		csv.WriteByte('\n')
	}
	rec.WriteString("]}")
	col.WriteString("]}")
	return rec.String(), col.String(), csv.String()
}

// checkScores sends the rows in every form and compares the answers with
// Model.PredictProba on the frame (the batch path: Transform, not
// TransformRow), exactly.
func checkScores(t *testing.T, m *bundle.Model, f *dataset.Frame, rows []int) {
	t.Helper()
	sub := make([]int, len(rows))
	copy(sub, rows)
	want, err := m.PredictRows(f, sub)
	if err != nil {
		t.Fatal(err)
	}
	h := New(m, Options{})
	records, columns, csvBody := bodies(t, m, f, rows)
	for _, form := range []struct{ name, ctype, path, body string }{
		{"records", "application/json", "/score", records},
		{"columns", "application/json", "/score", columns},
		{"csv", "text/csv; charset=utf-8", "/score?method=predict_proba", csvBody},
	} {
		r := do(h, "POST", form.path, form.ctype, form.body)
		if r.Code != 200 {
			t.Fatalf("%s: %d %s", form.name, r.Code, trim(r.Body.String()))
		}
		var got probaResponse
		if err := json.Unmarshal(r.Body.Bytes(), &got); err != nil {
			t.Fatalf("%s: %v", form.name, err)
		}
		if strings.Join(got.Classes, ",") != strings.Join(m.Classes, ",") || len(got.Probabilities) != len(rows) {
			t.Fatalf("%s: classes %v, %d rows; want %v, %d", form.name, got.Classes, len(got.Probabilities), m.Classes, len(rows))
		}
		for i := range rows {
			for j := range m.Classes {
				if got.Probabilities[i][j] != want.At(i, j) {
					t.Fatalf("%s: row %d class %s: served %v, Model gives %v", form.name, i, m.Classes[j], got.Probabilities[i][j], want.At(i, j))
				}
			}
		}
	}
	// predict answers the label the bundle decides (most probable, or by its threshold).
	r := do(h, "POST", "/score", "application/json", strings.Replace(records, `"predict_proba"`, `"predict"`, 1))
	var pred struct{ Predictions []string }
	if err := json.Unmarshal(r.Body.Bytes(), &pred); err != nil || r.Code != 200 || len(pred.Predictions) != len(rows) {
		t.Fatalf("predict: %d %s", r.Code, trim(r.Body.String()))
	}
	for i := range rows {
		if best := m.Label(want.RawRowView(i)); pred.Predictions[i] != m.Classes[best] {
			t.Fatalf("row %d: predicted %q, want %q", i, pred.Predictions[i], m.Classes[best])
		}
	}
}

func argmax(p []float64) int {
	b := 0
	for j := range p {
		if p[j] > p[b] {
			b = j
		}
	}
	return b
}

func TestScoresEqualModelGerman(t *testing.T) {
	m := load(t, germanBundle(t))
	f, err := dataset.Read(germanCSV, dataset.Options{Kinds: m.Kinds()})
	if err != nil {
		t.Fatal(err)
	}
	var rows []int
	for r := 0; r < f.NumRows(); r += 7 {
		rows = append(rows, r)
	}
	checkScores(t, m, f, rows)
}

// Missing values, missing markers and categories never seen in training are
// scored the way the fitted pipeline scores them in a file.
func TestMissingAndUnseenValues(t *testing.T) {
	m := load(t, mixedBundle(t))
	data := "age,income,member,signup,plan,city\n" +
		"31,4353.70,yes,2021-05-19,basic,Oslo\n" +
		",2000,no,2021-01-02,NA,Paris\n" + // missing age, missing plan, unseen city
		"70,,,,premium,\n" + // missing income, member, signup, city; unseen plan
		"45,3100.5,yes,2021-12-31T23:00:00,pro,Riga\n"
	f, err := dataset.ReadBytes("new.csv", []byte(data), dataset.Options{Kinds: m.Kinds()})
	if err != nil {
		t.Fatal(err)
	}
	checkScores(t, m, f, []int{0, 1, 2, 3})

	// The fitted pipeline gives an unseen category no one-hot indicator:
	// different from any seen city.
	h := New(m, Options{})
	p := func(city string) []float64 {
		r := do(h, "POST", "/score", "application/json", `{"method":"predict_proba","data":[{"age":31,"income":4353.7,"member":true,"signup":"2021-05-19","plan":"basic","city":`+city+`}]}`)
		var got probaResponse
		if err := json.Unmarshal(r.Body.Bytes(), &got); err != nil || r.Code != 200 {
			t.Fatalf("%d %s", r.Code, r.Body)
		}
		return got.Probabilities[0]
	}
	unseen := p(`"Paris"`)
	for _, c := range []string{`"Lyon"`, `"Oslo"`, `"Porto"`, `"Riga"`, `"Turku"`} {
		if p(c)[0] == unseen[0] {
			t.Errorf("unseen city scores like %s", c)
		}
	}
	if math.Abs(unseen[0]+unseen[1]-1) > 1e-12 {
		t.Errorf("probabilities %v do not sum to 1", unseen)
	}
}

func TestStatusReadyMetrics(t *testing.T) {
	dir := mixedBundle(t)
	m := load(t, dir)
	h := New(m, Options{Token: "tok"})
	auth := []string{"Authorization", "Bearer tok"}
	if r := do(h, "GET", "/ready", "", ""); r.Code != 200 || !strings.Contains(r.Body.String(), "ready") {
		t.Fatalf("/ready without token: %d %s", r.Code, r.Body)
	}
	if r := do(h, "GET", "/status", "", ""); r.Code != 401 {
		t.Fatalf("/status without token: %d", r.Code)
	}
	r := do(h, "GET", "/status", "", "", auth...)
	var st statusInfo
	if err := json.Unmarshal(r.Body.Bytes(), &st); err != nil || r.Code != 200 {
		t.Fatalf("/status: %d %s", r.Code, r.Body)
	}
	if st.Family != m.Family || st.DataSHA256 != m.DataSHA256 || len(st.DataSHA256) != 64 || st.Val["roc_auc"] == 0 ||
		st.Test["accuracy"] == 0 || st.Model != m.Dir || st.Inputs != 6 || st.Positive == nil || *st.Positive != "yes" {
		t.Fatalf("/status: %s", r.Body)
	}

	for range 3 {
		do(h, "POST", "/score", "application/json", `{"data":[{`+goodRecord+`},{`+goodRecord+`}]}`, auth...)
	}
	do(h, "POST", "/score", "application/json", `{"data":[]}`, auth...)
	do(h, "POST", "/score", "application/json", `{}`)
	r = do(h, "GET", "/metrics", "", "", auth...)
	if r.Code != 200 || !strings.HasPrefix(r.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", r.Code, r.Header())
	}
	text := r.Body.String()
	for _, want := range []string{
		`automl_serve_requests_total{route="/score",code="200"} 3`,
		`automl_serve_requests_total{route="/score",code="400"} 1`,
		`automl_serve_requests_total{route="/score",code="401"} 1`,
		`automl_serve_errors_total{route="/score"} 2`,
		`automl_serve_request_duration_seconds_count{route="/score"} 5`,
		`automl_serve_request_duration_seconds_bucket{route="/score",le="+Inf"} 5`,
		`automl_serve_rows_scored_total 6`,
		`automl_serve_model_info{experiment="mixed-logistic",trial="0",family="logistic",data_sha256="` + m.DataSHA256 + `"} 1`,
		"# TYPE automl_serve_request_duration_seconds histogram",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s\n%s", want, text)
		}
	}
}

// A pooled request buffer must not leak one request's cells into the next.
func TestPooledStateDoesNotLeak(t *testing.T) {
	h := New(load(t, mixedBundle(t)), Options{})
	big := `{"data":[` + strings.TrimSuffix(strings.Repeat(`{`+goodRecord+`},`, 20), ",") + `],"method":"predict_proba"}`
	one := `{"data":[{` + goodRecord + `}],"method":"predict_proba"}`
	first := do(h, "POST", "/score", "application/json", one).Body.String()
	do(h, "POST", "/score", "application/json", big)
	if again := do(h, "POST", "/score", "application/json", one).Body.String(); again != first {
		t.Fatalf("same request, different answers: %s vs %s", first, again)
	}
	// The same with a missing value after a full row.
	r := do(h, "POST", "/score", "application/json", `{"data":[{"age":null,"income":null,"member":null,"signup":null,"plan":null,"city":null}]}`)
	if r.Code != 200 {
		t.Fatalf("all-null record: %d %s", r.Code, r.Body)
	}
}

// A batch large enough to be transformed on every core scores as the model.
func TestLargeBatchEqualsModel(t *testing.T) {
	m := load(t, germanBundle(t))
	f, err := dataset.Read(germanCSV, dataset.Options{Kinds: m.Kinds()})
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]int, 2*parallelRows+1)
	for i := range rows {
		rows[i] = (i * 7) % f.NumRows()
	}
	checkScores(t, m, f, rows)
}
