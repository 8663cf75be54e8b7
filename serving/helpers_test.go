package serving

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/logistic"
	"github.com/goautoml/automl/samples"
)

// Bundles shared by the tests, trained once.
var (
	fixtureDir  string
	germanCSV   string // samples' German Credit file
	mixedCSV    string // numeric, boolean, datetime and categorical columns, with gaps
	bundleOnce  sync.Map
	bundleMutex sync.Mutex
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "serving-test-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fixtureDir = dir
	if germanCSV, err = samples.WriteGermanCredit(dir); err == nil {
		mixedCSV = filepath.Join(dir, "mixed.csv")
		err = os.WriteFile(mixedCSV, []byte(mixedData(400)), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// mixedData writes a small churn-like table whose target depends on every
// kind of column, with missing cells in some of them.
func mixedData(n int) string {
	r := rand.New(rand.NewPCG(7, 11))
	plans := []string{"basic", "pro", "enterprise"}
	cities := []string{"Lyon", "Oslo", "Porto", "Riga", "Turku"}
	var b strings.Builder
	b.WriteString("age,income,member,signup,plan,city,churn\n")
	for i := range n {
		age := 18 + r.IntN(60)
		income := 1000 + r.Float64()*4000
		member := r.IntN(2) == 0
		plan := r.IntN(3)
		month := 1 + r.IntN(12)
		score := float64(age-45)/15 - float64(plan) + (income-3000)/2000 + r.NormFloat64()
		if member {
			score -= 1
		}
		if month > 6 {
			score += 0.5
		}
		churn := "no"
		if score > 0 {
			churn = "yes"
		}
		ageS, planS := fmt.Sprint(age), plans[plan]
		if i%17 == 3 {
			ageS = ""
		}
		if i%23 == 5 {
			planS = "NA"
		}
		fmt.Fprintf(&b, "%s,%.2f,%s,2021-%02d-%02d,%s,%s,%s\n", ageS, income, map[bool]string{true: "yes", false: "no"}[member],
			month, 1+r.IntN(28), planS, cities[r.IntN(len(cities))], churn)
	}
	return b.String()
}

// trained trains (once per key) an experiment on data and returns its best
// trial's folder.
func trained(t testing.TB, key, data, target string, family models.Family, tune func(*automl.TrialSpec)) string {
	t.Helper()
	bundleMutex.Lock()
	defer bundleMutex.Unlock()
	if d, ok := bundleOnce.Load(key); ok {
		return d.(string)
	}
	cfg := automl.Config{Data: data, Target: target, MaxTrials: 1, Include: []models.Family{family},
		RunsDir: filepath.Join(fixtureDir, "runs"), Name: key, KeepBundles: -1, Seed: 42}
	p, err := automl.Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	spec := automl.DefaultTrial(p, family)
	if tune != nil {
		tune(&spec)
	}
	res, err := automl.RunPrepared(context.Background(), p, automl.Options{Searcher: automl.Fixed(spec)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Best == nil {
		t.Fatalf("%s: no successful trial: %+v", key, res.Trials)
	}
	d := filepath.Join(res.Dir, "best")
	bundleOnce.Store(key, d)
	return d
}

func germanBundle(t testing.TB) string {
	return trained(t, "german-logistic", germanCSV, "class", logistic.Name, nil)
}

func mixedBundle(t testing.TB) string {
	return trained(t, "mixed-logistic", mixedCSV, "churn", logistic.Name, nil)
}

func load(t testing.TB, dir string) *bundle.Model {
	t.Helper()
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// do sends one request to h and returns the recorded response.
func do(h http.Handler, method, target, contentType, body string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
