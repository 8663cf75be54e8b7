package mlflow

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/goautoml/automl/mlflow/mlflowtest"
)

func makeBatch(nm, np, nt, valueLen int) Batch {
	var b Batch
	for i := range nm {
		b.Metrics = append(b.Metrics, Metric{Key: fmt.Sprintf("m%d", i%7), Value: float64(i), Timestamp: 1, Step: int64(i)})
	}
	for i := range np {
		b.Params = append(b.Params, Param{Key: fmt.Sprintf("p%04d", i), Value: strings.Repeat("v", valueLen)})
	}
	for i := range nt {
		b.Tags = append(b.Tags, Tag{Key: fmt.Sprintf("t%04d", i), Value: strings.Repeat("t", valueLen)})
	}
	return b
}

func TestSplitKeepsWithinLimits(t *testing.T) {
	cases := []struct {
		name           string
		nm, np, nt, vl int
		minParts       int
	}{
		{"empty", 0, 0, 0, 1, 0},
		{"small", 10, 5, 5, 3, 1},
		{"exactly one", 800, 100, 100, 3, 1},
		{"metrics", 2500, 0, 0, 1, 3},
		{"all kinds", 2500, 250, 150, 10, 3},
		{"big values", 0, 100, 100, 8000, 2}, // 100 × 8000 chars of tags and params > 1 MB
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := makeBatch(c.nm, c.np, c.nt, c.vl)
			parts := b.Split()
			if len(parts) < c.minParts {
				t.Errorf("%d parts, want at least %d", len(parts), c.minParts)
			}
			var joined Batch
			for i, p := range parts {
				size := 0
				for _, x := range p.Params {
					size += len(x.Key) + len(x.Value)
				}
				for _, x := range p.Tags {
					size += len(x.Key) + len(x.Value)
				}
				if len(p.Metrics) > MaxMetricsPerBatch || len(p.Params) > MaxParamsPerBatch ||
					len(p.Tags) > MaxTagsPerBatch || p.Len() > MaxEntitiesPerBatch || p.Len() == 0 || size > maxBatchBytes {
					t.Errorf("part %d: %d metrics, %d params, %d tags, %d bytes", i, len(p.Metrics), len(p.Params), len(p.Tags), size)
				}
				joined.Metrics = append(joined.Metrics, p.Metrics...)
				joined.Params = append(joined.Params, p.Params...)
				joined.Tags = append(joined.Tags, p.Tags...)
			}
			if fmt.Sprint(joined) != fmt.Sprint(b) {
				t.Errorf("parts do not add up to the batch in order")
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	c := &Client{}
	long := strings.Repeat("ü", MaxParamValueLength+5)
	nb, err := c.normalize(Batch{
		Metrics: []Metric{{Key: "auc", Value: 0.9}},
		Params:  []Param{{Key: "a", Value: "1"}, {Key: "a", Value: "1"}, {Key: "long", Value: long}},
		Tags:    []Tag{{Key: "t", Value: strings.Repeat("x", MaxTagValueLength+1)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(nb.Params) != 2 || len([]rune(nb.Params[1].Value)) != MaxParamValueLength || !strings.HasPrefix(long, nb.Params[1].Value) {
		t.Errorf("params %d, long cut to %d characters", len(nb.Params), len([]rune(nb.Params[1].Value)))
	}
	if len(nb.Tags[0].Value) != MaxTagValueLength || nb.Metrics[0].Timestamp == 0 {
		t.Errorf("tag %d chars, metric timestamp %d", len(nb.Tags[0].Value), nb.Metrics[0].Timestamp)
	}
	_, err = c.normalize(Batch{Params: []Param{{Key: "a", Value: "1"}, {Key: "a", Value: "2"}}, Tags: []Tag{{Key: "bad:key"}}})
	if err == nil || !strings.Contains(err.Error(), `param "a" given two values`) || !strings.Contains(err.Error(), `bad:key`) {
		t.Errorf("err = %v", err)
	}
}

func TestCheckAndSanitizeKey(t *testing.T) {
	for _, c := range []struct {
		key string
		ok  bool
	}{
		{"model.gbdt.num_leaves", true}, {"a b/c-d_e", true}, {"", false}, {"a:b", false}, {"/abs", false},
		{"../up", false}, {"a/../b", false}, {"a..b", true}, {strings.Repeat("k", 250), true}, {strings.Repeat("k", 251), false},
		{"é", false},
	} {
		err := CheckKey(c.key)
		if (err == nil) != c.ok {
			t.Errorf("CheckKey(%.30q) = %v, want ok=%v", c.key, err, c.ok)
		}
		if s := SanitizeKey(c.key); CheckKey(s) != nil {
			t.Errorf("SanitizeKey(%.30q) = %q is not valid: %v", c.key, s, CheckKey(s))
		}
	}
	if got := SanitizeKey("/prep: col=é"); got != "prep_ col__" {
		t.Errorf("SanitizeKey = %q", got)
	}
}

func TestFlattenParams(t *testing.T) {
	type gbdt struct {
		Rounds int     `json:"rounds"`
		Eta    float64 `json:"learning_rate"`
	}
	spec := struct {
		Family  string   `json:"family"`
		GBDT    *gbdt    `json:"gbdt"`
		Skipped *gbdt    `json:"skipped"`
		Cols    []string `json:"columns"`
		Scale   bool     `json:"scale"`
	}{"gbdt", &gbdt{200, 0.05}, nil, []string{"age", "job"}, true}
	got, err := FlattenParams("model", spec)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{model.columns ["age","job"]} {model.family gbdt} {model.gbdt.learning_rate 0.05} {model.gbdt.rounds 200} {model.scale true}]`
	if fmt.Sprint(got) != want {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	if _, err := FlattenParams("", 3); err == nil {
		t.Error("a bare scalar without prefix was accepted")
	}
}

func TestLogBatchAgainstDouble(t *testing.T) {
	s := mlflowtest.NewServer(mlflowtest.Options{Seed: 11})
	defer s.Close()
	ctx := context.Background()
	c := &Client{BaseURL: s.URL, Retry: fastRetry(11)}
	exp, err := c.GetOrCreateExperiment(ctx, "batch", nil)
	if err != nil {
		t.Fatal(err)
	}
	run, err := c.CreateRun(ctx, CreateRunRequest{ExperimentID: exp, RunName: "r"})
	if err != nil {
		t.Fatal(err)
	}
	b := makeBatch(2500, 250, 150, 20)
	b.Params = append(b.Params, Param{Key: "long", Value: strings.Repeat("x", 7000)})
	b.Metrics = append(b.Metrics, Metric{Key: "nan", Value: math.NaN(), Timestamp: 3}, Metric{Key: "inf", Value: math.Inf(-1), Timestamp: 3})
	if err := c.LogBatch(ctx, run.Info.RunID, b); err != nil {
		t.Fatal(err)
	}
	rec := s.Runs()[0]
	if len(rec.Metrics) != 2502 || len(rec.Params) != 251 || len(rec.Tags) != 151 { // + mlflow.runName
		t.Fatalf("stored %d metrics, %d params, %d tags", len(rec.Metrics), len(rec.Params), len(rec.Tags))
	}
	if len(rec.Params["long"]) != MaxParamValueLength {
		t.Errorf("long param stored with %d characters", len(rec.Params["long"]))
	}
	got, err := c.GetRun(ctx, run.Info.RunID)
	if err != nil {
		t.Fatal(err)
	}
	var nan, inf bool
	for _, m := range got.Data.Metrics {
		nan = nan || m.Key == "nan" && math.IsNaN(m.Value)
		inf = inf || m.Key == "inf" && math.IsInf(m.Value, -1)
	}
	if !nan || !inf {
		t.Errorf("NaN / -Inf metrics did not round-trip: %v", got.Data.Metrics)
	}
	hist, err := c.GetMetricHistory(ctx, run.Info.RunID, "m3")
	if err != nil || len(hist) != 357 /* i%7 == 3 for i < 2500 */ {
		t.Errorf("history of m3: %d values, err %v", len(hist), err)
	}
	// Re-logging the same batch is harmless; a changed param is refused by the server.
	if err := c.LogBatch(ctx, run.Info.RunID, b); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Runs()[0].Metrics); n != 2502 {
		t.Errorf("re-log duplicated metrics: %d", n)
	}
	err = c.LogBatch(ctx, run.Info.RunID, Batch{Params: []Param{{Key: "p0000", Value: "other"}}})
	if !HasCode(err, CodeInvalidParameterValue) {
		t.Errorf("changed param: %v", err)
	}
}

func BenchmarkSplit(b *testing.B) {
	batch := makeBatch(5000, 300, 300, 40)
	b.ReportAllocs()
	for b.Loop() {
		if len(batch.Split()) == 0 {
			b.Fatal("no parts")
		}
	}
	b.ReportMetric(float64(batch.Len()*b.N)/b.Elapsed().Seconds(), "items/s")
}
