package automl

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/models"
)

// Leaderboard orders successful trials by the primary validation metric
// (best first; ties by trial ID), failed trials last.
func Leaderboard(trials []Trial, metric string) []Trial {
	out := slices.Clone(trials)
	slices.SortStableFunc(out, func(a, b Trial) int {
		sa, sb := a.Score(metric), b.Score(metric)
		switch {
		case better(metric, sa, sb):
			return -1
		case better(metric, sb, sa):
			return 1
		}
		return a.ID - b.ID
	})
	return out
}

// Describe is a one-line summary of a trial's model and preprocessing.
func Describe(t Trial) string {
	if e := t.Ensemble; e != nil {
		parts := make([]string, len(e.Members))
		for i, m := range e.Members {
			parts[i] = fmt.Sprintf("trial %d ×%.2f", m.Trial, m.Weight)
		}
		return fmt.Sprintf("blend of %s (chosen from the best %d)", strings.Join(parts, ", "), e.Candidates)
	}
	s := t.Model.Describe() // the family's summary of its params
	if t.BestIteration > 0 {
		s += fmt.Sprintf("; early stopping kept %d", t.BestIteration)
	}
	enc := t.Prep.Encoding
	switch enc {
	case "onehot":
		enc = "one-hot"
	case "":
		return s
	}
	enc += " encoding"
	if t.Prep.Scale {
		enc += ", scaled"
	}
	if s == "" {
		return enc
	}
	return s + "; " + enc
}

// leaderboardMetrics are the columns shown besides the primary metric.
func leaderboardMetrics(primary string) []string {
	out := []string{primary}
	for _, n := range metrics.Names {
		if n != primary {
			out = append(out, n)
		}
	}
	return out
}

// WriteLeaderboard prints the top n trials (n <= 0: all) as an aligned table.
func WriteLeaderboard(w io.Writer, trials []Trial, metric string, n int) error {
	lb := Leaderboard(trials, metric)
	if n > 0 && len(lb) > n {
		lb = lb[:n]
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	// A search on samples adds the training rows of each trial.
	sampled := slices.ContainsFunc(trials, func(t Trial) bool { return t.Rows > 0 })
	rowsHead, rowsCol := "", func(Trial) string { return "" }
	if sampled {
		rowsHead = "rows\t"
		rowsCol = func(t Trial) string {
			if t.Rows == 0 {
				return "-\t" // an ensemble of trials on samples
			}
			return strconv.Itoa(t.Rows) + "\t"
		}
	}
	fmt.Fprintf(tw, "rank\ttrial\tfamily\t%sval %s\ttest %s\ttest accuracy\tfit s\tmodel\n", rowsHead, metric, metric)
	for i, t := range lb {
		if t.Status != "ok" {
			msg := t.Error
			if j := strings.IndexByte(msg, '\n'); j >= 0 {
				msg = msg[:j]
			}
			fmt.Fprintf(tw, "-\t%d\t%s\t%sfailed\t\t\t\t%s\n", t.ID, t.Model.Family, rowsCol(t), msg)
			continue
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s%s\t%s\t%s\t%.2f\t%s\n", i+1, t.ID, t.Model.Family, rowsCol(t),
			fmtMetric(t.Val, metric), fmtMetric(t.Test, metric), fmtMetric(t.Test, "accuracy"), t.Timing.FitSeconds, Describe(t))
	}
	return tw.Flush()
}

func fmtMetric(m map[string]float64, name string) string {
	v, ok := m[name]
	if !ok || math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}

// WriteLeaderboardCSV writes every trial, ranked, with all metrics.
func WriteLeaderboardCSV(w io.Writer, trials []Trial, metric string) error {
	cw := csv.NewWriter(w)
	names := leaderboardMetrics(metric)
	head := []string{"rank", "trial", "family", "status"}
	for _, n := range names {
		head = append(head, "val_"+n)
	}
	for _, n := range names {
		head = append(head, "test_"+n)
	}
	head = append(head, "fit_seconds", "model", "error")
	sampled := slices.ContainsFunc(trials, func(t Trial) bool { return t.Rows > 0 })
	if sampled {
		head = append(head, "rows")
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for i, t := range Leaderboard(trials, metric) {
		rank := strconv.Itoa(i + 1)
		if t.Status != "ok" {
			rank = ""
		}
		row := []string{rank, strconv.Itoa(t.ID), string(t.Model.Family), t.Status}
		for _, n := range names {
			row = append(row, csvMetric(t.Val, n))
		}
		for _, n := range names {
			row = append(row, csvMetric(t.Test, n))
		}
		row = append(row, strconv.FormatFloat(t.Timing.FitSeconds, 'f', 3, 64), Describe(t), t.Error)
		if sampled {
			row = append(row, strconv.Itoa(t.Rows))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvMetric(m map[string]float64, name string) string {
	v, ok := m[name]
	if !ok {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Summary is the JSON printed by `automl run --json`.
type Summary struct {
	ExperimentDir string      `json:"experiment_dir"`
	StopReason    StopReason  `json:"stop_reason"`
	Trials        int         `json:"trials"`
	Failed        int         `json:"failed"`
	WallSeconds   float64     `json:"wall_seconds"`
	Best          *BestTrial  `json:"best"`
	FitSeconds    *float64    `json:"fit_seconds,omitempty"` // automl train only
	Guardrails    []Guardrail `json:"guardrails"`
}

// BestTrial is the best trial in a Summary.
type BestTrial struct {
	TrialID int                `json:"trial_id"`
	Family  string             `json:"family"`
	Params  any                `json:"params"`
	Prep    any                `json:"prep"`
	Val     map[string]float64 `json:"val"`
	Test    map[string]float64 `json:"test"`
	// Rows is the training rows of a trial of a search on samples.
	Rows int `json:"rows,omitempty"`
}

// Summarize builds the Summary of a result.
func (r *Result) Summarize() Summary {
	s := Summary{ExperimentDir: r.Dir, StopReason: r.Experiment.StopReason, Trials: r.Experiment.Trials,
		Failed: r.Experiment.Failed, WallSeconds: r.Wall.Seconds(), Guardrails: r.Experiment.Plan.Guardrails}
	if b := r.Best; b != nil {
		s.Best = &BestTrial{TrialID: b.ID, Family: string(b.Model.Family), Params: ModelParams(b.Model), Prep: b.Prep, Val: b.Val, Test: b.Test, Rows: b.Rows}
	}
	return s
}

// ModelParams returns the params struct of the spec's family (a pointer),
// nil when it has none.
func ModelParams(m models.Spec) any {
	if m.Params == nil {
		return nil
	}
	return m.Params
}
