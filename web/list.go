package web

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/store"
)

type listRow struct {
	Name, Status, Data, Target, Metric string
	Best                               float64
	Trials                             int
	Started                            time.Time
	Size                               string // bytes of the experiment's folder
}

type listView struct {
	page
	Rows []listRow
}

// list is the home page: every experiment in the store, newest first.
func (h *handler) list(w http.ResponseWriter, r *http.Request) {
	names, err := h.s.experimentNames()
	if err != nil {
		h.fail(w, r, http.StatusInternalServerError, "Cannot read the runs folder: "+err.Error())
		return
	}
	v := &listView{}
	for _, n := range names {
		x, err := h.s.load(n)
		if err != nil {
			h.s.log.Warn("skipping experiment", "name", n, "err", err)
			continue
		}
		e := x.Exp
		row := listRow{Name: n, Status: x.Status, Data: filepath.Base(e.Data.Path), Target: e.Config.Target,
			Metric: e.Config.Metric, Best: math.NaN(), Trials: e.Trials, Started: e.Started,
			Size: fmt.Sprintf("%.1f MB", float64(automl.Size(filepath.Join(h.s.cfg.Runs, n)))/1e6)}
		if x.Live != nil {
			snap := x.Live.since(math.MaxInt)
			row.Best, row.Trials = snap.Progress.BestScore, snap.Progress.Done
			if snap.Progress.Done == 0 {
				row.Best = math.NaN()
			}
		} else if e.Best != nil {
			row.Best = bestScore(x.Store, *e.Best, e.Config.Metric)
		}
		v.Rows = append(v.Rows, row)
	}
	slices.SortFunc(v.Rows, func(a, b listRow) int { return cmp.Or(b.Started.Compare(a.Started), cmp.Compare(a.Name, b.Name)) })
	h.render(w, r, http.StatusOK, "list.html", v)
}

// bestScore reads one trial's record for its primary score.
func bestScore(st *automl.Store, id int, metric string) float64 {
	b, err := os.ReadFile(store.At(st.Dir).TrialRecord(id))
	if err != nil {
		return math.NaN()
	}
	var t automl.Trial
	if json.Unmarshal(b, &t) != nil {
		return math.NaN()
	}
	return t.Score(metric)
}
