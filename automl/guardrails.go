package automl

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/preprocess"
)

// Guardrail is one finding about the data, with what the experiment did
// about it.
type Guardrail struct {
	Code    string `json:"code"`
	Level   string `json:"level"` // "info", "warning"
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
	Action  string `json:"action,omitempty"`
}

// Plan is what the guardrails decided: the feature columns, the columns left
// out with why, class weighting and the category cap.
type Plan struct {
	Columns       []preprocess.Input `json:"columns"`
	Dropped       []DroppedColumn    `json:"dropped"`
	ClassWeights  []float64          `json:"class_weights,omitempty"` // per class; nil = unweighted
	MaxCategories int                `json:"max_categories"`          // 0 = no cap needed
	Guardrails    []Guardrail        `json:"guardrails"`
	// Skip lists families left out of the search because of the data.
	Skip []models.Family `json:"skip,omitempty"`
}

// DroppedColumn is a column not used as a feature, and why.
type DroppedColumn struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Thresholds used by the guardrails.
const (
	imbalanceRatio   = 0.20 // minority ≤ 20 % of majority → class weights
	leakageAUC       = 0.99 // one column alone reaches this validation AUC → leak
	highCardinality  = 50   // categorical columns with more values are capped
	categoryCap      = 30   // the cap: most frequent categories kept, rest bucketed
	mostlyMissingPct = 0.95 // columns missing in more rows are dropped
)

// scoresProbabilities reports whether metric is optimal for the true class
// probabilities: log loss and the Brier score are proper scoring rules, and
// accuracy is won by the most probable class. Class weights move a model away
// from those probabilities (towards a balanced prior), which a prior
// correction afterwards undoes on average but not row by row: a rare pattern
// near a small class's border stays pulled towards it. Rank and threshold
// metrics (ROC/PR AUC, F1, balanced accuracy, precision, recall) reward what
// weights buy: the small class's rows ranked and found.
func scoresProbabilities(metric string) bool {
	switch metric {
	case "log_loss", "brier", "accuracy":
		return true
	}
	return false
}

// Guard runs the guardrails on a frame whose target is encoded and whose rows
// are split. Leakage is measured from training rows to validation rows only.
func Guard(f *dataset.Frame, t *dataset.Target, p *dataset.Profile, sp *dataset.Split, cfg Config) Plan {
	plan, _ := guard(context.Background(), f, t, p, sp, cfg)
	return plan
}

// guard is Guard bounded by ctx: the duplicate count and the leakage scores
// (the costly parts on large data) stop once ctx ends, with an error that
// wraps context.Cause(ctx).
func guard(ctx context.Context, f *dataset.Frame, t *dataset.Target, p *dataset.Profile, sp *dataset.Split, cfg Config) (Plan, error) {
	var plan Plan
	add := func(g Guardrail) { plan.Guardrails = append(plan.Guardrails, g) }
	drop := func(name, reason string) { plan.Dropped = append(plan.Dropped, DroppedColumn{name, reason}) }

	if t.Dropped > 0 {
		add(Guardrail{Code: "missing_target", Level: "warning", Column: t.Column,
			Message: fmt.Sprintf("%d rows have no value in the target column %q", t.Dropped, t.Column),
			Action:  fmt.Sprintf("dropped those %d rows", t.Dropped)})
	}
	// Class imbalance: weights on training rows only, and only when the
	// ranking metric does not score the probabilities themselves.
	minC, maxC := slices.Min(t.Counts), slices.Max(t.Counts)
	imbalance := fmt.Sprintf("the smallest class has %d rows, %.1f%% of the largest (%d)", minC, 100*float64(minC)/float64(maxC), maxC)
	switch {
	case float64(minC) > imbalanceRatio*float64(maxC):
		// balanced enough: nothing to report
	case scoresProbabilities(cfg.Metric):
		add(Guardrail{Code: "class_imbalance", Level: "info", Column: t.Column, Message: imbalance,
			Action: fmt.Sprintf("training rows are not weighted: %s scores the predicted probabilities, "+
				"and an unweighted fit is what estimates them; weights would make rare classes look likelier than they are", cfg.Metric)})
	default:
		n := float64(len(t.Y))
		plan.ClassWeights = make([]float64, len(t.Counts))
		for k, c := range t.Counts {
			plan.ClassWeights[k] = n / (float64(len(t.Counts)) * float64(c))
		}
		add(Guardrail{Code: "class_imbalance", Level: "warning", Column: t.Column, Message: imbalance,
			Action: "training rows are weighted by n / (classes × class count) so each class weighs the same"})
	}
	dup, err := dataset.DuplicateRowsContext(ctx, f, nil)
	if err != nil {
		return plan, err
	}
	if dup > 0 {
		add(Guardrail{Code: "duplicate_rows", Level: "info",
			Message: fmt.Sprintf("%d rows repeat an earlier row exactly", dup),
			Action:  "kept: duplicates can be genuine observations; check how the data was collected"})
	}
	for _, a := range p.Alerts {
		switch a.Code {
		case dataset.AlertIDLike, dataset.AlertConstant, dataset.AlertHighCardinality, dataset.AlertText:
			continue // reported below with what was done about them
		}
		if a.Column == t.Column {
			continue
		}
		add(Guardrail{Code: "profile_" + a.Code, Level: "info", Column: a.Column, Message: fmt.Sprintf("column %q: %s", a.Column, a.Message)})
	}

	keep := func(name string) bool { return slices.Contains(cfg.KeepCols, name) }
	split := map[string]bool{cfg.Split.SplitCol: cfg.Split.SplitCol != ""}
	for i, c := range f.Columns {
		cp := p.Columns[i]
		switch {
		case c.Name == t.Column:
			continue
		case split[c.Name]:
			drop(c.Name, "split column")
			continue
		case slices.Contains(cfg.ExcludeCols, c.Name):
			drop(c.Name, "excluded by --exclude-cols")
			continue
		}
		if !keep(c.Name) {
			reason := ""
			switch {
			case c.Kind == dataset.ID:
				reason = "ID-like: a distinct value in (nearly) every row carries no pattern to learn"
				add(Guardrail{Code: "id_column", Level: "warning", Column: c.Name, Message: fmt.Sprintf("column %q looks like an identifier", c.Name), Action: "excluded (use --keep-col to keep it)"})
			case cp.Distinct <= 1:
				reason = "constant: a single value"
				add(Guardrail{Code: "constant_column", Level: "warning", Column: c.Name, Message: fmt.Sprintf("column %q holds a single value", c.Name), Action: "excluded"})
			case c.Kind == dataset.Text:
				reason = "free text: not used by this version's pipelines"
				add(Guardrail{Code: "text_column", Level: "info", Column: c.Name, Message: fmt.Sprintf("column %q is free text", c.Name), Action: "excluded"})
			case float64(cp.Missing) > mostlyMissingPct*float64(cp.Count):
				reason = fmt.Sprintf("mostly missing (%d of %d rows)", cp.Missing, cp.Count)
				add(Guardrail{Code: "mostly_missing", Level: "warning", Column: c.Name, Message: fmt.Sprintf("column %q is missing in %d of %d rows", c.Name, cp.Missing, cp.Count), Action: "excluded"})
			}
			if reason != "" {
				drop(c.Name, reason)
				continue
			}
		} else if c.Kind == dataset.ID || c.Kind == dataset.Text {
			// Kept on request: ID and text columns are used as categoricals.
			c = &dataset.Column{Name: c.Name, Kind: dataset.Categorical}
		}
		if c.Kind == dataset.Categorical && cp.Distinct > highCardinality {
			plan.MaxCategories = categoryCap
			add(Guardrail{Code: "high_cardinality", Level: "info", Column: c.Name,
				Message: fmt.Sprintf("column %q has %d distinct values", c.Name, cp.Distinct),
				Action:  fmt.Sprintf("the %d most frequent values are kept, the rest share one 'other' category", categoryCap)})
		}
		plan.Columns = append(plan.Columns, preprocess.Input{Name: c.Name, Kind: c.Kind})
	}

	// Families too slow for large data (their descriptor's MaxTrainRows)
	// are left out unless included by name.
	for _, d := range models.All() {
		if d.OptIn || d.MaxTrainRows <= 0 || len(sp.Train) <= d.MaxTrainRows || slices.Contains(cfg.Include, d.Name) {
			continue
		}
		plan.Skip = append(plan.Skip, d.Name)
		add(Guardrail{Code: string(d.Name) + "_skipped", Level: "info",
			Message: fmt.Sprintf("%d training rows: %s", len(sp.Train), d.SkipReason),
			Action:  fmt.Sprintf("%s left out of the search above %d training rows (--include %s keeps it)", d.Name, d.MaxTrainRows, d.Name)})
	}

	// Single-column leakage, measured train → validation.
	val := sp.Val
	if len(sp.Folds) > 0 {
		val = sp.Folds[0]
	}
	train := sp.Train
	if len(sp.Folds) > 0 {
		train = without(append(slices.Clone(sp.Train), sp.Val...), sp.Folds[0])
	}
	yOf := rowClasses(t, f.NumRows())
	// On large data, every column is measured on a systematic sample of
	// the rows (the same for every column).
	train, val = strided(train, maxLeakRows), strided(val, maxLeakRows/2)
	aucs := make([]float64, len(plan.Columns))
	parallelColumns(len(plan.Columns), func(j int) {
		if ctx.Err() == nil {
			aucs[j] = leakAUC(f.Column(plan.Columns[j].Name), train, val, yOf, len(t.Classes))
		}
	})
	if ctx.Err() != nil {
		return plan, fmt.Errorf("%s: the leakage check stopped: %w", f.Path, context.Cause(ctx))
	}
	var kept []preprocess.Input
	for j, in := range plan.Columns {
		auc := aucs[j]
		if auc >= leakageAUC && !keep(in.Name) {
			drop(in.Name, fmt.Sprintf("leakage: alone it separates the target with validation AUC %.4f", auc))
			add(Guardrail{Code: "leakage", Level: "warning", Column: in.Name,
				Message: fmt.Sprintf("column %q alone predicts the target with validation AUC %.4f: it likely leaks the answer", in.Name, auc),
				Action:  "excluded (use --keep-col to keep it)"})
			continue
		}
		kept = append(kept, in)
	}
	plan.Columns = kept
	return plan, nil
}

// maxLeakRows caps the training rows the leakage check measures a column
// on (and half as many validation rows): beyond it, every k-th row.
const maxLeakRows = 100_000

// strided is rows when they are at most n, else every k-th of them (k the
// smallest step that leaves at most n).
func strided(rows []int, n int) []int {
	if len(rows) <= n {
		return rows
	}
	k := (len(rows) + n - 1) / n
	out := make([]int, 0, n)
	for i := 0; i < len(rows); i += k {
		out = append(out, rows[i])
	}
	return out
}

// parallelColumns runs fn(0..n-1) on GOMAXPROCS goroutines.
func parallelColumns(n int, fn func(j int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for j := int(next.Add(1) - 1); j < n; j = int(next.Add(1) - 1) {
				fn(j)
			}
		})
	}
	wg.Wait()
}

// rowClasses maps the frame's rows to class indices (-1 where the target is missing).
func rowClasses(t *dataset.Target, rows int) []int {
	m := make([]int, rows)
	for i := range m {
		m[i] = -1
	}
	for i, r := range t.Rows {
		m[r] = t.Y[i]
	}
	return m
}

func without(rows, remove []int) []int {
	rm := make(map[int]bool, len(remove))
	for _, r := range remove {
		rm[r] = true
	}
	out := rows[:0]
	for _, r := range rows {
		if !rm[r] {
			out = append(out, r)
		}
	}
	return out
}

// leakAUC is how well one column alone predicts the target on the validation
// rows: each value (category, or quantile bin of a number, with missing as its
// own value) scores by its class frequencies in the training rows; for numeric
// binary problems the raw value's own ranking counts too.
func leakAUC(c *dataset.Column, train, val []int, y []int, k int) float64 {
	key := keyFunc(c, train)
	var counts [][]float64 // by key
	for _, r := range train {
		kk := key(r)
		for kk >= len(counts) {
			counts = append(counts, nil)
		}
		if counts[kk] == nil {
			counts[kk] = make([]float64, k)
		}
		counts[kk][y[r]]++
	}
	prior := make([]float64, k)
	for _, r := range train {
		prior[y[r]]++
	}
	for j := range prior {
		prior[j] /= float64(len(train))
	}
	yv := make([]int, len(val))
	scores := make([][]float64, k)
	for j := range scores {
		scores[j] = make([]float64, len(val))
	}
	for i, r := range val {
		yv[i] = y[r]
		var cnt []float64
		if kk := key(r); kk < len(counts) {
			cnt = counts[kk]
		}
		var n float64
		for _, v := range cnt {
			n += v
		}
		for j := range k {
			// Laplace-smoothed toward the prior so a value seen once does not look certain.
			s := prior[j]
			if n > 0 {
				s = (cnt[j] + prior[j]) / (n + 1)
			}
			scores[j][i] = s
		}
	}
	var auc float64
	if k == 2 {
		auc = metrics.ROCAUC(yv, scores[1], 1)
		if c.Num != nil {
			raw := make([]float64, len(val))
			ok := true
			for i, r := range val {
				raw[i] = c.Num[r]
				if math.IsNaN(raw[i]) {
					ok = false
				}
			}
			if ok {
				a := metrics.ROCAUC(yv, raw, 1)
				auc = max(auc, a, 1-a)
			}
		}
	} else {
		var sum float64
		var n int
		for j := range k {
			a := metrics.ROCAUC(yv, scores[j], j)
			if !math.IsNaN(a) {
				sum += a
				n++
			}
		}
		if n > 0 {
			auc = sum / float64(n)
		}
	}
	if math.IsNaN(auc) {
		return 0 // one class only among the validation rows: nothing to measure
	}
	return auc
}

// keyFunc returns the grouping key of a row for leakage scoring, a small
// integer: 0 for a missing cell, else one per category text (numbered in
// order of appearance), or one per quantile bin (32 bins from training rows)
// of a number.
func keyFunc(c *dataset.Column, train []int) func(int) int {
	if c.Num == nil {
		ids := map[string]int{}
		return func(r int) int {
			if c.Missing[r] {
				return 0
			}
			s := c.String(r)
			id, ok := ids[s]
			if !ok {
				id = len(ids) + 1
				ids[s] = id
			}
			return id
		}
	}
	vals := make([]float64, 0, len(train))
	for _, r := range train {
		if v := c.Num[r]; !math.IsNaN(v) {
			vals = append(vals, v)
		}
	}
	slices.Sort(vals)
	var edges []float64
	const bins = 32
	for b := 1; b < bins && len(vals) > 0; b++ {
		e := vals[b*len(vals)/bins]
		if len(edges) == 0 || e > edges[len(edges)-1] {
			edges = append(edges, e)
		}
	}
	return func(r int) int {
		v := c.Num[r]
		if math.IsNaN(v) {
			return 0
		}
		return 1 + sort.SearchFloat64s(edges, v)
	}
}
