package automl

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden trial logs in testdata/golden")

// TestGoldenTrialLogs pins what seeded searches compute: 40 trials of every
// family with seed 7, as `automl run --max-trials 40 --seed 7` runs them, on
// German Credit (5-fold CV by the auto rule) and iris. The logs, timing
// aside, must equal the ones recorded before the redesign of the core
// (family registry, executor, store): refactors may move code, never change
// a trial. Regenerate only for a deliberate change of what trials compute:
// go test ./automl -run TestGoldenTrialLogs -update.
func TestGoldenTrialLogs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two 40-trial searches")
	}
	for _, c := range []struct{ name, data, target string }{
		{"german", germanCredit(t), "class"},
		{"iris", filepath.Join("..", "models", "testdata", "iris.csv"), "class"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{Data: c.data, Target: c.target, MaxTrials: 40, Seed: 7, Workers: 2, Timeout: 10 * time.Minute,
				RunsDir: t.TempDir(), Name: c.name, AutoCV: true}
			cfg.Split.Seed, cfg.Split.TrainFrac, cfg.Split.ValFrac = 7, 0.6, 0.2
			res := runFor(t, cfg)
			got := exactWithoutTiming(t, filepath.Join(res.Dir, "trials.jsonl"))
			golden := filepath.Join("testdata", "golden", c.name+".jsonl")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				g, w := strings.Split(got, "\n"), strings.Split(string(want), "\n")
				for i := range min(len(g), len(w)) {
					if g[i] != w[i] {
						t.Fatalf("trial log line %d differs from %s:\n got %.300s\nwant %.300s", i+1, golden, g[i], w[i])
					}
				}
				t.Fatalf("trial log has %d lines, %s has %d", len(g), golden, len(w))
			}
		})
	}
}

// exactWithoutTiming is the trial log with the timing fields removed, every
// number kept as written (seeds are uint64: a float64 would round them).
func exactWithoutTiming(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		d := json.NewDecoder(bytes.NewReader(line))
		d.UseNumber()
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		delete(m, "timing")
		delete(m, "worker")
		enc, _ := json.Marshal(m)
		out.Write(enc)
		out.WriteByte('\n')
	}
	return out.String()
}
