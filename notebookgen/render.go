package notebookgen

import (
	"bytes"
	"embed"
	"fmt"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/preprocess"
	"github.com/goautoml/automl/store"
)

// Module is the import path of the packages the notebooks use.
const Module = "github.com/goautoml/automl"

//go:embed templates/*.tmpl
var templateFS embed.FS

var (
	trialTmpl   = parse("templates/common.tmpl", "templates/trial.tmpl")
	exploreTmpl = parse("templates/common.tmpl", "templates/explore.tmpl")
	// An ensemble's notebook reuses the trial notebook's data and split
	// cells; ensemble.tmpl redefines "imports".
	ensembleTmpl = parse("templates/common.tmpl", "templates/trial.tmpl", "templates/ensemble.tmpl")
)

func parse(files ...string) *template.Template {
	funcs := sprig.HermeticTxtFuncMap()
	funcs["q"] = strconv.Quote
	funcs["md"] = mdEscape
	funcs["shq"] = shellQuote
	return template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, files...))
}

// cellDef is one cell of a notebook: its kind and the template that writes it.
type cellDef struct{ kind, tmpl string }

var trialCells = []cellDef{
	{Markdown, "title"}, {Code, "setup"},
	{Markdown, "data.md"}, {Code, "data"},
	{Markdown, "columns.md"},
	{Markdown, "prep.md"}, {Code, "prep"},
	{Markdown, "split.md"}, {Code, "split"},
	{Markdown, "model.md"}, {Code, "model"},
	{Markdown, "fit.md"}, {Code, "fit"},
	{Markdown, "eval.md"}, {Code, "eval"},
	{Markdown, "plots.md"}, {Code, "plots"},
	{Markdown, "shap.md"}, {Code, "shap"},
	{Markdown, "score.md"}, {Code, "score"},
	{Markdown, "mlflow.md"}, {Code, "mlflow"},
}

var ensembleCells = []cellDef{
	{Markdown, "ens.title"}, {Code, "setup"},
	{Markdown, "data.md"}, {Code, "data"},
	{Markdown, "split.md"}, {Code, "split"},
	{Markdown, "ens.members.md"}, {Code, "ens.members"},
	{Markdown, "ens.eval.md"}, {Code, "ens.eval"},
	{Markdown, "ens.plots.md"}, {Code, "ens.plots"},
}

var exploreCells = []cellDef{
	{Markdown, "title"}, {Code, "setup"},
	{Markdown, "data.md"}, {Code, "data"},
	{Markdown, "profile.md"}, {Code, "profile"},
	{Markdown, "missing.md"}, {Code, "missing"},
	{Markdown, "dist.md"}, {Code, "dist"},
	{Markdown, "corr.md"}, {Code, "corr"},
	{Markdown, "target.md"}, {Code, "target"},
	{Markdown, "alerts.md"}, {Code, "alerts"},
}

// Options say where a notebook finds what it needs when it runs.
type Options struct {
	// ModuleDir is a checkout of github.com/goautoml/automl the notebook
	// builds against (AUTOML_SRC overrides it when the notebook runs).
	ModuleDir string
	// Version is the module version named in the notebook (default automl.Version).
	Version string
	// ModuleVersion pins the module the notebook builds against, when it runs without
	// AUTOML_SRC: the version of the binary that writes it (see BinaryVersion). Empty, or not
	// a released or pseudo-version (a "(devel)" or "+dirty" build), the notebook builds
	// against ModuleDir or AUTOML_SRC instead.
	ModuleVersion string
	// StoreDir is the experiment folder, used to find a trial's explain/ files.
	StoreDir string
	// DataPath overrides the data path recorded in the experiment (it should
	// be absolute: notebooks run in their own folder).
	DataPath string
}

func (o Options) withDefaults(e *automl.Experiment) Options {
	if o.Version == "" {
		o.Version = automl.Version
	}
	if o.DataPath == "" {
		o.DataPath = e.Data.Path
	}
	return o
}

// fetchable matches module versions the go command can fetch: vX.Y.Z with an optional
// pre-release (pseudo-versions are pre-releases), and no build metadata such as "+dirty".
var fetchable = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)

// BinaryVersion is the module version of the running binary from its build information
// ("(devel)" for a build inside a checkout), for Options.ModuleVersion.
func BinaryVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.Main.Version
	}
	return ""
}

// common is the data every notebook's setup and title cells use.
type common struct {
	Module, Version, ModuleDir string
	ModuleVersion              string
	Experiment, DataPath       string
	SHA256, Target, PosLabel   string
}

func newCommon(e *automl.Experiment, o Options) common {
	mv := o.ModuleVersion
	if !fetchable.MatchString(mv) {
		mv = ""
	}
	return common{Module: Module, Version: o.Version, ModuleDir: o.ModuleDir, ModuleVersion: mv, Experiment: e.Name,
		DataPath: o.DataPath, SHA256: e.Data.SHA256, Target: e.Config.Target, PosLabel: e.Config.PosLabel}
}

type trialData struct {
	common
	ID                                          int
	Seed                                        uint64
	Family, Metric                              string
	Config                                      automl.Config
	Columns                                     []preprocess.Input
	Dropped                                     []automl.DroppedColumn
	PrepGo, ModelGo, SplitGo, ExcludeGo, KeepGo string
	ValGo, TestGo                               string
	ModelImports                                []string
	CV, Calibrated                              bool
	// An ensemble's members (with their families), the number of
	// candidates it was chosen from, and its spec as Go.
	Members    []ensembleMember
	Candidates int
	EnsembleGo string
	StoreDir   string
	ExplainDir string
}

// Trial returns the notebook that reproduces trial t of experiment e.
func Trial(e *automl.Experiment, t automl.Trial, o Options) (*Notebook, error) {
	if t.Status != "ok" {
		return nil, fmt.Errorf("notebookgen: trial %d did not finish (status %q): nothing to reproduce", t.ID, t.Status)
	}
	o = o.withDefaults(e)
	d := trialData{common: newCommon(e, o), ID: t.ID, Seed: t.Seed, Family: string(t.Model.Family),
		Metric: e.Config.Metric, Config: e.Config, Columns: t.Prep.Columns, Dropped: e.Plan.Dropped,
		CV: e.Config.Split.CV > 1, Calibrated: e.Config.Calibration == automl.CalibrationAuto}
	d.ModelImports = modelImports(t.Model)
	if o.StoreDir != "" {
		d.ExplainDir = store.At(o.StoreDir).Explain(t.ID)
	}
	ensemble := t.Model.Family == automl.EnsembleFamily
	if ensemble {
		if t.Ensemble == nil || o.StoreDir == "" {
			return nil, fmt.Errorf("notebookgen: ensemble trial %d: its notebook replays the experiment folder's predictions: give Options.StoreDir", t.ID)
		}
		d.StoreDir, d.Candidates = o.StoreDir, t.Ensemble.Candidates
		family := map[int]string{}
		if st, err := automl.OpenStore(o.StoreDir); err == nil {
			if all, err := st.Trials(); err == nil {
				for _, m := range all {
					family[m.ID] = models.Label(m.Model.Family)
				}
			}
		}
		for _, m := range t.Ensemble.Members {
			d.Members = append(d.Members, ensembleMember{Trial: m.Trial, Weight: m.Weight, Family: family[m.Trial]})
		}
	}
	split := e.Config.Split
	split.Seed = e.Config.Seed
	var err error
	for _, l := range []struct {
		dst *string
		v   any
	}{
		{&d.PrepGo, t.Prep}, {&d.ModelGo, t.Model}, {&d.SplitGo, split},
		{&d.ExcludeGo, e.Config.ExcludeCols}, {&d.KeepGo, e.Config.KeepCols},
		{&d.ValGo, orEmpty(t.Val)}, {&d.TestGo, orEmpty(t.Test)}, {&d.EnsembleGo, t.Ensemble},
	} {
		indent := ""
		if l.dst == &d.SplitGo || l.dst == &d.ExcludeGo || l.dst == &d.KeepGo {
			indent = "\t"
		}
		if *l.dst, err = goLiteral(l.v, indent); err != nil {
			return nil, fmt.Errorf("notebookgen: trial %d: %w", t.ID, err)
		}
	}
	if ensemble {
		return render(ensembleTmpl, ensembleCells, fmt.Sprintf("trial-%d", t.ID), d)
	}
	return render(trialTmpl, trialCells, fmt.Sprintf("trial-%d", t.ID), d)
}

type ensembleMember struct {
	Trial  int
	Weight float64
	Family string
}

func orEmpty(m map[string]float64) map[string]float64 {
	if m == nil {
		return map[string]float64{}
	}
	return m
}

type exploreData struct {
	common
	Rows, NumColumns int
	Alerts           any
	Guardrails       []automl.Guardrail
	ClassWeights     []float64
}

// Exploration returns the notebook that shows experiment e's data profile.
func Exploration(e *automl.Experiment, o Options) (*Notebook, error) {
	o = o.withDefaults(e)
	d := exploreData{common: newCommon(e, o), Rows: e.Data.Rows, NumColumns: e.Data.Columns,
		Guardrails: e.Plan.Guardrails, ClassWeights: e.Plan.ClassWeights}
	if e.Profile != nil {
		d.Alerts = e.Profile.Alerts
	}
	return render(exploreTmpl, exploreCells, "explore", d)
}

// render executes each cell's template; cell IDs are prefix and the cell index.
func render(t *template.Template, cells []cellDef, prefix string, data any) (*Notebook, error) {
	nb := &Notebook{Metadata: GoNB, NBFormat: 4, NBFormatMinor: 5, Cells: make([]Cell, 0, len(cells))}
	var buf bytes.Buffer
	for i, c := range cells {
		buf.Reset()
		if err := t.ExecuteTemplate(&buf, c.tmpl, data); err != nil {
			return nil, fmt.Errorf("notebookgen: cell %d (%s): %w", i, c.tmpl, err)
		}
		nb.Cells = append(nb.Cells, Cell{ID: fmt.Sprintf("%s-c%02d", prefix, i), Type: c.kind,
			Source: strings.TrimSpace(buf.String())})
	}
	return nb, nil
}

// mdEscape makes s safe inside a markdown table cell or inline text: it
// escapes markdown and HTML punctuation and turns line breaks into spaces.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		case '\\', '`', '*', '_', '[', ']', '|', '<', '>', '#', '$', '{', '}':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// shellQuote quotes s for bash as one word.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
