package dataset_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/dataset"
)

// TestParquetSameExperiment: a seeded search on the Parquet file and on the
// CSV of the same table (DuckDB's, testdata/duckdb) gives the same typed
// frame and the same trials.
func TestParquetSameExperiment(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two searches")
	}
	runs := t.TempDir()
	var trials [2][]map[string]any
	var hashes [2]string
	for k, file := range []string{"duckdb.parquet", "duckdb.csv"} {
		path := filepath.Join("testdata", "duckdb", file)
		f, err := dataset.Read(path, dataset.Options{})
		if err != nil {
			t.Fatal(err)
		}
		hashes[k] = f.DataHash()
		res, err := automl.Run(context.Background(), automl.Config{Data: path, Target: "y", MaxTrials: 6, Seed: 7,
			Workers: 1, RunsDir: runs, Name: file}, automl.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range res.Trials {
			b, _ := json.Marshal(tr)
			var m map[string]any
			json.Unmarshal(b, &m)
			delete(m, "timing")
			delete(m, "worker")
			trials[k] = append(trials[k], m)
		}
	}
	if hashes[0] != hashes[1] {
		t.Errorf("typed data hashes differ")
	}
	a, _ := json.Marshal(trials[0])
	b, _ := json.Marshal(trials[1])
	if len(trials[0]) != 6 || string(a) != string(b) {
		t.Errorf("trials differ (%d and %d):\n%s\n%s", len(trials[0]), len(trials[1]), a, b)
	}
}
