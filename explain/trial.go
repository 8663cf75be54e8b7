package explain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"time"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/models/tree"
	"github.com/goautoml/automl/preprocess"
	"github.com/goautoml/automl/store"
)

// Options tune explanations; zero values mean the defaults given.
type Options struct {
	// Rows is how many held-out rows get SHAP values (default 200), drawn
	// with a seeded generator from the test rows (validation rows when
	// there are none).
	Rows int
	// Background is the number of training rows model-agnostic SHAP
	// compares against (default and maximum 100).
	Background int
	// Permutations is the number of antithetic permutation pairs per row
	// for model-agnostic SHAP (default 10).
	Permutations int
	// Repeats is the number of shuffles per column for permutation
	// importance (default 5).
	Repeats int
	// SplitRows bounds the held-out rows of each split that the metrics,
	// curves and plots are computed on (default 50,000, the validation
	// sample of a search on samples): a larger split is replaced by a
	// seeded stratified sample of it, and metrics.json says of how many
	// rows. On a million rows, scoring both 200,000-row splits through a
	// boosted model took longer than the whole finishing step's share.
	SplitRows int
	// ImportanceRows bounds the rows permutation importance shuffles and
	// scores, columns × Repeats times (default 10,000; a seeded stratified
	// sample of the split's rows).
	ImportanceRows int
	// SHAPTimeout bounds model-agnostic SHAP for one trial (default 30 s;
	// negative: no bound). Rows not finished in time are left out, and
	// metrics.json says the estimate is partial.
	SHAPTimeout time.Duration
	// Timeout bounds Experiment's total time (0 = only ctx bounds it). When
	// it runs out, the trial in progress keeps the SHAP rows finished so
	// far and the remaining trials are not explained; it is not an error.
	Timeout time.Duration
	// Workers is the number of goroutines (<= 0: all CPUs).
	Workers int
	// Data is the experiment's prepared data, to skip reading the CSV
	// again (nil: automl.Prepare from experiment.json).
	Data *automl.Data
	// DataPath reads the experiment's data from another path (when the
	// CSV has moved since the run); its sha256 must match the record.
	DataPath string
	// Logger receives progress (nil: discarded).
	Logger *slog.Logger
	// Plots is the plots' image format ("": PlotsPNG).
	Plots Plots
}

func (o Options) withDefaults() Options {
	if o.Rows <= 0 {
		o.Rows = 200
	}
	if o.Background <= 0 || o.Background > MaxBackground {
		o.Background = MaxBackground
	}
	if o.Permutations <= 0 {
		o.Permutations = 10
	}
	if o.Repeats <= 0 {
		o.Repeats = 5
	}
	if o.SplitRows <= 0 {
		o.SplitRows = 50_000
	}
	if o.ImportanceRows <= 0 {
		o.ImportanceRows = 10_000
	}
	if o.SHAPTimeout == 0 {
		o.SHAPTimeout = 30 * time.Second
	}
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// ErrTimeout is the cause given to the context of an Experiment whose
// Options.Timeout ran out.
var ErrTimeout = errors.New("explanation time bound reached")

// Report tells what was made for one trial.
type Report struct {
	Trial   int      `json:"trial"`
	Dir     string   `json:"dir"` // the trial's explain folder
	Method  string   `json:"method"`
	Rows    int      `json:"rows"`    // rows with SHAP values
	Partial bool     `json:"partial"` // the time bound stopped SHAP early
	Refit   bool     `json:"refit"`   // no bundle: the trial was fitted again
	Files   []string `json:"files"`
}

// session is an opened experiment with its data.
type session struct {
	st     *automl.Store
	exp    *automl.Experiment
	data   *automl.Data
	trials []automl.Trial
}

func open(dir string, opt Options) (*session, error) {
	st, err := automl.OpenStore(dir)
	if err != nil {
		return nil, err
	}
	e, err := st.Experiment()
	if err != nil {
		return nil, err
	}
	trials, err := st.Trials()
	if err != nil {
		return nil, err
	}
	d := opt.Data
	if d == nil {
		cfg := e.Config
		if opt.DataPath != "" {
			cfg.Data = opt.DataPath
		}
		p, err := automl.Prepare(cfg)
		if err != nil {
			return nil, fmt.Errorf("re-create the experiment's data: %w", err)
		}
		d = p.Data
	}
	if d.Frame.SHA256 != e.Data.SHA256 {
		return nil, fmt.Errorf("%s is not the data the experiment ran on (sha256 %s, experiment.json records %s)", d.Frame.Path, d.Frame.SHA256, e.Data.SHA256)
	}
	return &session{st: st, exp: e, data: d, trials: trials}, nil
}

func (s *session) trial(id int) (automl.Trial, error) {
	if id < 0 {
		if s.exp.Best == nil {
			return automl.Trial{}, fmt.Errorf("%s has no successful trial", s.st.Dir)
		}
		id = *s.exp.Best
	}
	for _, t := range s.trials {
		if t.ID == id {
			if t.Status != "ok" {
				return t, fmt.Errorf("trial %d failed (%s): nothing to explain", id, t.Error)
			}
			return t, nil
		}
	}
	return automl.Trial{}, fmt.Errorf("%s has no trial %d", s.st.Dir, id)
}

func (s *session) labels(rows []int) []int { return s.data.Labels(rows) }

// Trial makes the explanations of trial id (-1: the best trial) of the
// experiment in dir, in trials/<id>/explain/. A trial without a bundle is
// fitted again, which gives the same model.
func Trial(ctx context.Context, dir string, id int, opt Options) (*Report, error) {
	opt = opt.withDefaults()
	s, err := open(dir, opt)
	if err != nil {
		return nil, err
	}
	t, err := s.trial(id)
	if err != nil {
		return nil, err
	}
	return s.explain(ctx, t, opt)
}

// fitted loads trial t's bundle (one member or several), or fits the
// trial again when it has none.
func (s *session) fitted(ctx context.Context, t automl.Trial, workers int) (*scorer, bool, error) {
	tdir := s.st.Layout.Trial(t.ID)
	if _, err := os.Stat(store.Bundle(tdir)); err == nil {
		m, err := bundle.Load(tdir)
		if err != nil {
			return nil, false, err
		}
		sc, err := fromBundle(m)
		return sc, false, err
	}
	rt, f, err := automl.RunTrial(ctx, s.data, t.TrialSpec, workers)
	if err != nil {
		return nil, true, fmt.Errorf("trial %d: refit: %w", t.ID, err)
	}
	if f == nil {
		return nil, true, fmt.Errorf("trial %d: refit failed: %s", t.ID, rt.Error)
	}
	sc, err := newScorer([]*preprocess.Pipeline{f.Pipeline}, []models.Classifier{f.Model}, []float64{1})
	if sc != nil {
		sc.family = t.Model.Family
	}
	return sc, true, err
}

type ensembler interface{ Ensemble() *tree.Ensemble }

func (s *session) explain(ctx context.Context, t automl.Trial, opt Options) (*Report, error) {
	log := opt.Logger.With("trial", t.ID)
	sc, refit, err := s.fitted(ctx, t, opt.Workers)
	if err != nil {
		return nil, err
	}
	lay := store.At(s.st.Dir)
	out := lay.Explain(t.ID)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	rep := &Report{Trial: t.ID, Dir: out, Refit: refit}
	d, tg := s.data, s.data.Target
	classes, pos := tg.Classes, tg.Positive
	m := &Metrics{Trial: t.ID, Family: string(sc.family), Metric: d.Metric, Classes: classes, Positive: pos,
		Splits: map[string]*SplitMetrics{}}
	split := map[string][]int{"test": d.Split.Test}
	if len(d.Split.Folds) == 0 {
		split["validation"] = d.Split.Val
	}
	of := map[string]int{}
	for name, rows := range split {
		if len(rows) > opt.SplitRows {
			of[name] = len(rows)
			split[name] = takeRows(rows, stratifiedSubset(s.labels(rows), opt.SplitRows, s.exp.Config.Seed))
		}
	}
	mats := map[string]*mat.Dense{}
	plotStart := time.Now()
	for _, name := range splitOrder {
		rows := split[name]
		if len(rows) == 0 {
			continue
		}
		if ctx.Err() != nil {
			// On large data a split's transform, prediction and plots take
			// seconds: none is started once the bound has come.
			return nil, fmt.Errorf("trial %d: %w", t.ID, context.Cause(ctx))
		}
		X, err := sc.transform(d.Frame, rows)
		if err != nil {
			return nil, fmt.Errorf("trial %d: %s rows: %w", t.ID, name, err)
		}
		P, err := sc.predict(X)
		if err != nil {
			return nil, fmt.Errorf("trial %d: predict %s rows: %w", t.ID, name, err)
		}
		mats[name] = X
		y := s.labels(rows)
		sm := EvaluateSplit(y, P, classes, pos)
		sm.Of = of[name]
		if sc.model != nil && sc.model.Threshold != nil {
			// The bundle decides labels by its threshold: so does the confusion matrix.
			sm.Confusion = metrics.Confusion(y, sc.labels(P), len(classes))
		}
		m.Splits[name] = sm
		files, err := splitPlots(out, name, y, P, sm.Confusion, classes, pos, opt.Plots)
		if err != nil {
			return nil, fmt.Errorf("trial %d: %w", t.ID, err)
		}
		rep.Files = append(rep.Files, files...)
	}
	names, groups := sc.names, sc.groups
	// The SHAP estimate stops early enough for its own plots and files
	// to be made within the caller's bound: about what the splits' plots
	// took, twice over, but never more than a quarter of the time left.
	shapCtx := ctx
	if dl, ok := ctx.Deadline(); ok {
		keep := min(2*time.Since(plotStart), time.Until(dl)/4)
		var cancel context.CancelFunc
		shapCtx, cancel = context.WithDeadlineCause(ctx, dl.Add(-keep), ErrTimeout)
		defer cancel()
	}

	if ctx.Err() != nil {
		// The bound came while the split's plots were drawn: the
		// explanation is not made (its SHAP values would be empty).
		return nil, fmt.Errorf("trial %d: %w", t.ID, context.Cause(ctx))
	}

	// SHAP on a seeded sample of held-out rows.
	from := "test"
	if len(split["test"]) == 0 {
		from = "validation"
	}
	rng := rand.New(rand.NewPCG(s.exp.Config.Seed, uint64(t.ID)))
	pick := rng.Perm(len(split[from]))[:min(opt.Rows, len(split[from]))]
	slices.Sort(pick)
	rows := make([]int, len(pick))
	for i, p := range pick {
		rows[i] = split[from][p]
	}
	m.SHAP = SHAPInfo{Split: from, Requested: len(rows), Seed: s.exp.Config.Seed, BaseValues: map[string]float64{}}
	start := time.Now()
	var contrib *Contributions
	var outs []int
	if len(sc.parts) == 1 {
		contrib, outs, err = s.shap(shapCtx, sc.parts[0].clf, sc.parts[0].pipe, rows, groups, &m.SHAP, opt, false)
	} else {
		contrib, outs, err = s.shapMembers(shapCtx, sc, rows, &m.SHAP, opt)
	}
	if err != nil {
		return nil, fmt.Errorf("trial %d: SHAP: %w", t.ID, err)
	}
	m.SHAP.Seconds = time.Since(start).Seconds()
	rep.Method, rep.Rows, rep.Partial = m.SHAP.Method, m.SHAP.Rows, m.SHAP.Partial
	rows = rows[:m.SHAP.Rows]
	for o, k := range outs {
		m.SHAP.BaseValues[classes[k]] = contrib.Base[o]
	}
	if err := writeSHAP(lay.ExplainFile(t.ID, SHAPFile), names, rows, classes, outs, contrib); err != nil {
		return nil, err
	}
	imp := MeanAbs(contrib.Phi)

	// Permutation importance on the validation rows (test with CV).
	var perm *Permutation
	pname := "validation"
	if mats[pname] == nil {
		pname = "test"
	}
	if X := mats[pname]; X != nil && ctx.Err() == nil {
		hib := metrics.HigherIsBetter(d.Metric)
		score := func(y []int, P *mat.Dense) float64 {
			v := metrics.Evaluate(y, P, pos)[d.Metric]
			if !hib {
				v = -v
			}
			return v
		}
		y := s.labels(split[pname])
		if n, c := X.Dims(); n > opt.ImportanceRows {
			sub := stratifiedSubset(y, opt.ImportanceRows, s.exp.Config.Seed+1)
			Xs := mat.NewDense(len(sub), c, nil)
			for i, r := range sub {
				Xs.SetRow(i, X.RawRowView(r))
			}
			X, y = Xs, takeRows(y, sub)
		}
		perm, err = PermutationImportance(ctx, sc.predict, X, y, groups, score, opt.Repeats, s.exp.Config.Seed)
		switch {
		case err != nil && ctx.Err() != nil:
			perm = nil
			log.Warn("permutation importance stopped by the time bound")
		case err != nil:
			return nil, fmt.Errorf("trial %d: permutation importance: %w", t.ID, err)
		default:
			base := perm.Baseline
			if !hib {
				base = -base
			}
			n, _ := X.Dims()
			m.Permutation = &PermutationInfo{Split: pname, Metric: d.Metric, Baseline: base, Repeats: opt.Repeats, Rows: n}
		}
	}
	if err := writeImportance(lay.ExplainFile(t.ID, ImportanceFile), names, imp, perm); err != nil {
		return nil, err
	}
	files, err := shapPlots(out, names, contrib, outs, rows, d.Frame, classes, opt.Plots)
	if err != nil {
		return nil, fmt.Errorf("trial %d: %w", t.ID, err)
	}
	rep.Files = append(rep.Files, files...)
	if err := store.WriteJSON(lay.ExplainFile(t.ID, MetricsFile), m); err != nil {
		return nil, err
	}
	if err := store.WriteFile(lay.ExplainFile(t.ID, ReadmeFile), []byte(readme)); err != nil {
		return nil, err
	}
	rep.Files = append(rep.Files, MetricsFile, ImportanceFile, SHAPFile, ReadmeFile)
	rep.Files = fileList(out, rep.Files)
	log.Info("explained", "method", rep.Method, "rows", rep.Rows, "partial", rep.Partial)
	return rep, nil
}

// shap computes SHAP values of rows summed to input columns, and the class
// index of each explained output. With prob, the outputs explained are
// probabilities: GBDT models, whose TreeSHAP values are margins, are
// explained by sampling.
func (s *session) shap(ctx context.Context, clf models.Classifier, pipe *preprocess.Pipeline, rows []int, groups [][]int, info *SHAPInfo, opt Options, prob bool) (*Contributions, []int, error) {
	d := s.data
	X, err := pipe.Transform(d.Frame, rows)
	if err != nil {
		return nil, nil, err
	}
	k := len(d.Target.Classes)
	if e, ok := clf.(ensembler); ok && e.Ensemble() != nil && (!prob || e.Ensemble().Link == tree.Identity) {
		ex, err := NewTreeExplainer(e.Ensemble())
		if err != nil {
			return nil, nil, err
		}
		c, err := ex.ExplainContext(ctx, X, opt.Workers)
		if err != nil && ctx.Err() == nil {
			return nil, nil, err
		}
		for o := range c.Phi {
			c.Phi[o] = Sum(c.Phi[o], groups)
		}
		info.Method, info.Output, info.Rows, info.Partial = "tree_path_dependent", "raw_margin", len(c.Raw[0]), err != nil
		if e.Ensemble().Link == tree.Identity {
			info.Output = "probability"
		}
		outs := make([]int, len(c.Phi))
		for o := range outs {
			outs[o] = o
		}
		if len(outs) == 1 {
			outs[0] = 1 // one output: class 1, the positive class of binary problems
		}
		return c, outs, nil
	}
	train := d.Split.Train
	if len(d.Split.Folds) > 0 {
		train = append(slices.Clone(d.Split.Train), d.Split.Val...)
	}
	Xt, err := pipe.Transform(d.Frame, train)
	if err != nil {
		return nil, nil, err
	}
	perms, nb := opt.Permutations, opt.Background
	if opt.SHAPTimeout > 0 {
		o := opt
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < o.SHAPTimeout {
			// The caller's bound comes first: scale to it, so that the
			// estimate finishes rather than being cut to a few rows.
			o.SHAPTimeout = max(time.Until(dl), time.Millisecond)
		}
		perms, nb, err = fitBudget(clf, Xt, len(rows), len(groups), o, s.exp.Config.Seed)
		if err != nil {
			return nil, nil, err
		}
	}
	bg := Background(Xt, nb, s.exp.Config.Seed)
	sm := Sampler{Background: bg, Groups: groups, Permutations: perms, Seed: s.exp.Config.Seed, Workers: opt.Workers}
	sctx := ctx
	if opt.SHAPTimeout > 0 {
		var cancel context.CancelFunc
		sctx, cancel = context.WithTimeoutCause(ctx, opt.SHAPTimeout, ErrTimeout)
		defer cancel()
	}
	c, err := sm.Explain(sctx, clf.PredictProba, X)
	if err != nil && (c == nil || sctx.Err() == nil) {
		return nil, nil, err
	}
	info.Method, info.Output, info.Rows, info.Partial = "permutation", "probability", len(c.Raw[0]), err != nil
	info.Background, info.Permutations = nb, perms
	outs := make([]int, k)
	for o := range outs {
		outs[o] = o
	}
	if k == 2 {
		pos := d.Target.Positive
		c = &Contributions{Phi: c.Phi[pos : pos+1], Base: c.Base[pos : pos+1], Raw: c.Raw[pos : pos+1]}
		outs = []int{pos}
	}
	return c, outs, nil
}

// splitPlots draws the curves and confusion matrices of one split.
func splitPlots(dir, name string, y []int, P *mat.Dense, cm [][]int, classes []string, pos int, format Plots) ([]string, error) {
	title := name
	var files []string
	type mk struct {
		file string
		make func() (*plot.Plot, error)
	}
	for _, p := range []mk{
		{"roc_" + name, func() (*plot.Plot, error) { return ROCPlot("ROC curve ("+title+")", y, P, classes, pos) }},
		{"pr_" + name, func() (*plot.Plot, error) { return PRPlot("Precision-recall curve ("+title+")", y, P, classes, pos) }},
		{"calibration_" + name, func() (*plot.Plot, error) {
			return CalibrationPlot("Calibration ("+title+")", y, P, classes, pos, 10)
		}},
		{"confusion_" + name, func() (*plot.Plot, error) {
			return ConfusionPlot("Confusion matrix ("+title+")", cm, classes, false)
		}},
		{"confusion_rates_" + name, func() (*plot.Plot, error) {
			return ConfusionPlot("Confusion matrix, row rates ("+title+")", cm, classes, true)
		}},
	} {
		pl, err := p.make()
		if err != nil {
			return nil, fmt.Errorf("plot %s: %w", p.file, err)
		}
		f, err := Save(pl, Size, Size, dir, p.file, format)
		if err != nil {
			return nil, err
		}
		files = append(files, f...)
	}
	return files, nil
}

// shapPlots draws the SHAP bar chart and beeswarm. For multiclass problems
// the beeswarm shows each row's values for the class predicted for it.
func shapPlots(dir string, names []string, c *Contributions, outs []int, rows []int, f *dataset.Frame, classes []string, format Plots) ([]string, error) {
	n := len(rows)
	imp := MeanAbs(c.Phi)
	if imp == nil {
		imp = make([]float64, len(names))
	}
	bar, h, err := SHAPBar("Mean |SHAP value| (top 20)", names, imp, TopN)
	if err != nil {
		return nil, err
	}
	files, err := Save(bar, Size, h, dir, "shap_bar", format)
	if err != nil {
		return nil, err
	}
	phi := c.Phi[0]
	title := "SHAP summary (" + classes[outs[0]] + ")"
	if len(outs) > 1 && n > 0 {
		phi = mat.NewDense(n, len(names), nil)
		for i := range n {
			k := 0
			for o := range outs {
				if c.Raw[o][i] > c.Raw[k][i] {
					k = o
				}
			}
			phi.SetRow(i, c.Phi[k].RawRowView(i))
		}
		title = "SHAP summary (predicted class)"
	}
	values := make([][]float64, len(names))
	for j, name := range names {
		values[j] = make([]float64, n)
		col := f.Column(name)
		for i, r := range rows {
			values[j][i] = math.NaN()
			if col != nil && col.Kind != dataset.Categorical {
				values[j][i] = col.Float(r)
			}
		}
	}
	bee, h, err := Beeswarm(title, names, phi, values, TopN)
	if err != nil {
		return nil, err
	}
	more, err := Save(bee, Size+vg.Inch, h, dir, "shap_beeswarm", format)
	if err != nil {
		return nil, err
	}
	return append(files, more...), nil
}

// fitBudget scales model-agnostic SHAP down for slow models so that rows
// rows fit in opt.SHAPTimeout: it times one prediction of the background
// and lowers first the permutations (to 1), then the background rows (to
// 10). The values used are recorded in metrics.json.
func fitBudget(clf models.Classifier, Xt *mat.Dense, rows, groups int, opt Options, seed uint64) (perms, nb int, err error) {
	perms, nb = opt.Permutations, opt.Background
	if groups < 2 || rows == 0 {
		return perms, nb, nil
	}
	bg := Background(Xt, nb, seed)
	nb, _ = bg.Dims()
	start := time.Now()
	if _, err := clf.PredictProba(bg); err != nil {
		return 0, 0, err
	}
	perRow := float64(2*(groups-1)) * time.Since(start).Seconds() // one permutation pair
	budget := 0.7 * opt.SHAPTimeout.Seconds() * float64(opt.Workers)
	if need := perRow * float64(perms*rows); need > budget {
		perms = max(1, int(budget/(perRow*float64(rows))))
	}
	if need := perRow * float64(perms*rows); need > budget {
		nb = max(10, int(float64(nb)*budget/need))
	}
	return perms, nb, nil
}

// takeRows returns xs[i] for each i of idx.
func takeRows(xs []int, idx []int) []int {
	out := make([]int, len(idx))
	for k, i := range idx {
		out[k] = xs[i]
	}
	return out
}
