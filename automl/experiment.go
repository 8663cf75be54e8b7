package automl

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/preprocess"
)

// Experiment is experiment.json: how the experiment was set up, what the
// guardrails decided, and how it ended.
type Experiment struct {
	Name       string           `json:"name"`
	Version    string           `json:"version"`
	Config     Config           `json:"config"`
	Data       DataInfo         `json:"data"`
	Problem    string           `json:"problem"` // "binary" or "multiclass"
	Target     *dataset.Target  `json:"target"`
	Profile    *dataset.Profile `json:"profile"`
	Plan       Plan             `json:"plan"`
	Split      SplitInfo        `json:"split"`
	Status     string           `json:"status"` // "running", "done", "failed", "interrupted"
	StopReason StopReason       `json:"stop_reason,omitempty"`
	Error      string           `json:"error,omitempty"`
	Best       *int             `json:"best,omitempty"` // ID of the best trial
	Trials     int              `json:"trials"`
	Failed     int              `json:"failed"`
	Started    time.Time        `json:"started"`
	Finished   *time.Time       `json:"finished,omitempty"`
	// SearchSeconds is the search time spent so far, as of the last run
	// that reached its end (not killed); a resume counts its time budget
	// from it.
	SearchSeconds float64 `json:"search_seconds,omitempty"`
	// Sampling is set when trials ran on samples of the training rows.
	Sampling *Sampling `json:"sampling,omitempty"`
}

// DataInfo identifies the data an experiment learned from.
type DataInfo struct {
	Path    string `json:"path"`
	SHA256  string `json:"sha256"`
	Rows    int    `json:"rows"`
	Columns int    `json:"columns"`
}

// SplitInfo records the sizes of the row sets (the rows themselves follow
// from the split spec and the data).
type SplitInfo struct {
	Train int   `json:"train"`
	Val   int   `json:"val"`
	Test  int   `json:"test"`
	Folds []int `json:"folds,omitempty"`
}

// Version is this program's version, recorded in every experiment.
var Version = "0.1.0"

// Prepared is the outcome of Prepare: the data ready for trials and the
// experiment record that describes it.
type Prepared struct {
	Data       *Data
	Experiment *Experiment
	Base       preprocess.Spec
}

// Prepare reads the data, encodes the target, profiles, splits and runs the
// guardrails: everything before the first trial.
func Prepare(cfg Config) (*Prepared, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	f, err := dataset.Read(cfg.Data, cfg.ReadOptions())
	if err != nil {
		return nil, err
	}
	return PrepareFrame(f, cfg)
}

// PrepareFrame is Prepare on a frame already read.
func PrepareFrame(f *dataset.Frame, cfg Config) (*Prepared, error) {
	return PrepareFrameContext(context.Background(), f, cfg)
}

// PrepareFrameContext is PrepareFrame bounded by ctx: profiling, splitting
// and the guardrails stop once ctx ends, and the error wraps
// context.Cause(ctx), so that a time budget covers the preparation too.
func PrepareFrameContext(ctx context.Context, f *dataset.Frame, cfg Config) (*Prepared, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%s: not prepared: %w", f.Path, context.Cause(ctx))
	}
	for _, name := range append(append([]string{}, cfg.ExcludeCols...), cfg.KeepCols...) {
		if f.Index(name) < 0 {
			return nil, fmt.Errorf("%s: no column %q (named in --exclude-cols or --keep-col)", f.Path, name)
		}
	}
	if err := checkTarget(f, cfg.Target); err != nil {
		return nil, err
	}
	t, err := dataset.EncodeTarget(f, cfg.Target, cfg.PosLabel)
	if err != nil {
		return nil, err
	}
	cfg = cfg.Defaults(len(t.Classes))
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.AutoCV && cfg.Split.CV == 0 && cfg.Split.SplitCol == "" && cfg.Split.TimeCol == "" {
		cfg.Split.CV = AutoFolds(t, cfg.Split)
	}
	prof, err := dataset.ProfileContext(ctx, f)
	if err != nil {
		return nil, err
	}
	sp, err := dataset.MakeSplit(f, t.Rows, t.Y, cfg.Split)
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%s: stopped after the split: %w", f.Path, context.Cause(ctx))
	}
	plan, err := guard(ctx, f, t, prof, sp, cfg)
	if err != nil {
		return nil, err
	}
	if len(plan.Columns) == 0 {
		return nil, noFeatures(f, cfg.Target, plan.Dropped)
	}
	problem := "binary"
	if len(t.Classes) > 2 {
		problem = "multiclass"
	}
	name := cfg.Name
	if name == "" {
		stem := strings.TrimSuffix(filepath.Base(cfg.Data), filepath.Ext(cfg.Data))
		name = stem + "-" + time.Now().UTC().Format("20060102-150405")
		cfg.Name = name
	}
	e := &Experiment{
		Name: name, Version: Version, Config: cfg, Problem: problem, Target: t, Profile: prof, Plan: plan,
		Data:  DataInfo{Path: f.Path, SHA256: f.SHA256, Rows: f.NumRows(), Columns: len(f.Columns)},
		Split: SplitInfo{Train: len(sp.Train), Val: len(sp.Val), Test: len(sp.Test)},
	}
	for _, fold := range sp.Folds {
		e.Split.Folds = append(e.Split.Folds, len(fold))
	}
	base := preprocess.Spec{Columns: plan.Columns, MaxCategories: plan.MaxCategories, FillValue: "missing"}
	d := &Data{Frame: f, Target: t, Split: sp, Plan: plan, Metric: cfg.Metric, Calibration: cfg.Calibration, classOf: rowClasses(t, f.NumRows())}
	if s := planSampling(cfg, sp, len(plan.Columns)); s != nil {
		d.Sampling, d.samples = s, newSamples(s, sp, d.classOf, cfg.Seed)
		e.Sampling = s
	}
	return &Prepared{Data: d, Experiment: e, Base: base}, nil
}

func droppedList(ds []DroppedColumn) string {
	var s []string
	for _, d := range ds {
		s = append(s, d.Name+" ("+d.Reason+")")
	}
	return strings.Join(s, "; ")
}
