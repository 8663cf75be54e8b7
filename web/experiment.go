package web

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/store"
)

// column is one sortable leaderboard column.
type column struct {
	Key, Label string
	Sort       string // "ascending", "descending" or "" (aria-sort)
	URL        string // the page sorted by this column (works without JS)
	Higher     bool   // bigger is better: the first click sorts descending
}

// row is one trial in the leaderboard.
type row struct {
	ID, Rank     int
	Family, Desc string
	FamilyKey    string // the family's registered name, for the live filter
	OK           bool
	Error        string
	Worker       string // the remote worker that ran the trial
	Cells        []cell
	URL          string
}

// cell is one metric value: Text shown, Value for sorting ("" = none).
type cell struct{ Text, Value string }

type tab struct {
	Key, Label, URL string
	Current         bool
}

type expView struct {
	page
	Name, Status, Stop, Error string
	Running                   bool
	Phase                     string // while running: "search", then the finishing step's phases (finish.Phase)
	PhaseLabel                string
	Exp                       *automl.Experiment
	Data                      string
	Metric, MetricLabel       string
	Higher                    bool
	Tab                       string
	Tabs                      []tab
	Columns                   []column
	Rows                      []row
	Board                     board
	Seen                      int // trials in the page, for the event stream
	Done, Failed              int
	Chart                     chartView
	Budget                    float64 // seconds, 0 = none
	DeadlineMS                int64   // Unix ms when the budget ends, 0 = none
	TimeLeft                  string
	Profile                   []profileRow
	Exploration               string // download URL, "" when not made yet
	Plots                     []plot // experiment-level plots made by package explain
}

// metricColumns are the leaderboard's metric columns, primary first. They
// are validation scores only: choosing among trials by their test scores
// would make the test score a second validation score, biased upwards.
func metricColumns(primary string) []string {
	out := []string{primary}
	for _, m := range metrics.Names {
		if m != primary {
			out = append(out, m)
		}
	}
	return out
}

// experiment is an experiment's page, with tabs: leaderboard (live while
// running), guardrails, data profile and files.
func (h *handler) experiment(w http.ResponseWriter, r *http.Request) {
	x, ok := h.loadOr404(w, r)
	if !ok {
		return
	}
	e := x.Exp
	trials, err := h.s.trials(x)
	if err != nil {
		h.fail(w, r, http.StatusInternalServerError, "Cannot read the trials: "+err.Error())
		return
	}
	v := &expView{Name: e.Name, Status: x.Status, Stop: string(x.Stop), Error: x.Err, Running: x.Status == "running",
		Exp: e, Data: filepath.Base(e.Data.Path), Metric: e.Config.Metric, MetricLabel: metricLabel(e.Config.Metric),
		Higher: metrics.HigherIsBetter(e.Config.Metric), Seen: len(trials), Budget: e.Config.Timeout.Seconds()}
	v.Tab = r.URL.Query().Get("tab")
	if !slices.Contains([]string{"leaderboard", "guardrails", "profile", "files"}, v.Tab) {
		v.Tab = "leaderboard"
	}
	base := "/experiments/" + url.PathEscape(e.Name)
	for _, t := range [][2]string{{"leaderboard", "Leaderboard"}, {"guardrails", "Guardrails"}, {"profile", "Data profile"}, {"files", "Downloads"}} {
		v.Tabs = append(v.Tabs, tab{Key: t[0], Label: t[1], URL: base + "?tab=" + t[0], Current: t[0] == v.Tab})
	}
	for _, t := range trials {
		v.Done++
		if t.Status != "ok" {
			v.Failed++
		}
	}
	if x.Live != nil && v.Running {
		v.Phase = x.Live.since(math.MaxInt).Phase
		v.PhaseLabel = phaseLabel(v.Phase)
	}
	if v.Running && e.Config.Timeout > 0 {
		deadline := e.Started.Add(e.Config.Timeout)
		if x.Live != nil {
			deadline = x.Live.started.Add(x.Live.timeout)
		}
		v.DeadlineMS = deadline.UnixMilli()
		v.TimeLeft = formatSeconds(max(0, time.Until(deadline).Seconds()))
	}
	switch v.Tab {
	case "leaderboard":
		v.Chart = scoreChart(trials, v.Metric, v.Budget, v.Running)
		q := r.URL.Query()
		v.Board = boardQuery{Sort: q.Get("sort"), Dir: q.Get("dir"), Family: q.Get("family"), All: q.Get("all") == "1"}.board(trials, v.Metric, base, &h.s.boards)
		v.Columns = v.Board.Columns
	case "profile":
		v.Profile = profileRows(e.Profile)
	case "files":
		lay, rel := store.At(x.Store.Dir), store.At("") // rel: paths under the files/ URL
		if fileExists(lay.ExplorationNotebook()) {
			v.Exploration = base + "/files/" + filepath.ToSlash(rel.ExplorationNotebook())
		}
		for _, p := range [][2]string{{"score_over_time", "Best score over time"}, {"score_by_family", "Scores by model family"}} {
			if fileExists(filepath.Join(lay.ExperimentExplain(), p[0]+".png")) {
				v.Plots = append(v.Plots, plot{Key: p[0], Title: p[1], URL: base + "/files/" + filepath.ToSlash(filepath.Join(rel.ExperimentExplain(), p[0]+".png")), Alt: p[1]})
			}
		}
	}
	h.render(w, r, http.StatusOK, "experiment.html", v)
}

// loadOr404 loads the experiment named in the path, answering 404 itself.
func (h *handler) loadOr404(w http.ResponseWriter, r *http.Request) (*expState, bool) {
	name := r.PathValue("exp")
	x, err := h.s.load(name)
	if errors.Is(err, errNoExperiment) {
		h.fail(w, r, http.StatusNotFound, "There is no experiment called "+strconv.Quote(name)+".")
		return nil, false
	}
	if err != nil {
		h.fail(w, r, http.StatusInternalServerError, "Cannot read experiment "+name+": "+err.Error())
		return nil, false
	}
	return x, true
}

func cellNum(c cell) float64 {
	if c.Value == "" {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(c.Value, 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

func firstLine(s string) string {
	for i := range len(s) {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// stop cancels a running experiment; it ends as interrupted.
func (h *handler) stop(w http.ResponseWriter, r *http.Request) {
	x, ok := h.loadOr404(w, r)
	if !ok {
		return
	}
	if x.Live == nil || x.Status != "running" {
		h.fail(w, r, http.StatusConflict, "Experiment "+x.Exp.Name+" is not running in this server.")
		return
	}
	x.Live.halt()
	http.Redirect(w, r, "/experiments/"+url.PathEscape(x.Exp.Name), http.StatusSeeOther)
}
