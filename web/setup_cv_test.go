package web

import (
	"net/url"
	"testing"

	"github.com/goautoml/automl/dataset"
)

// TestFormCV: an empty folds field lets the data size choose
// cross-validation (AutoCV); a number sets the folds, 0 a single split;
// the form shows the choice back.
func TestFormCV(t *testing.T) {
	for _, tc := range []struct {
		field string
		auto  bool
		cv    int
		shown string
	}{{"", true, 0, ""}, {"0", false, 0, "0"}, {"5", false, 5, "5"}} {
		cfg, err := configFrom(url.Values{"target": {"class"}, "cv": {tc.field}}, "gc.csv", "runs")
		if err != nil {
			t.Fatalf("cv %q: %v", tc.field, err)
		}
		if cfg.AutoCV != tc.auto || cfg.Split.CV != tc.cv {
			t.Errorf("cv %q: auto %v, cv %d; want %v, %d", tc.field, cfg.AutoCV, cfg.Split.CV, tc.auto, tc.cv)
		}
		if s := settingsOf(cfg, &dataset.Frame{}, 2); s.CV != tc.shown {
			t.Errorf("cv %q: the form shows %q, want %q", tc.field, s.CV, tc.shown)
		}
	}
	if _, err := configFrom(url.Values{"target": {"class"}, "cv": {"1"}}, "gc.csv", "runs"); err == nil {
		t.Error("cv 1 accepted")
	}
}
