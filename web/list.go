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
	"sync"
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
	Resumable                          bool
	// As shown, formatted once per row (the template of a long list is
	// most of its cost).
	BestText, MetricText, StartedText string
}

// format fills in the row's shown texts.
func (r *listRow) format() {
	r.BestText, r.MetricText, r.StartedText = formatScore(r.Best), metricLabel(r.Metric), r.Started.Local().Format("2006-01-02 15:04:05")
}

type listView struct {
	page
	Rows    []listRow
	Deleted string
}

// list is the home page: every experiment in the store, newest first.
// Rows of experiments not running here come from a cache kept while their
// record and trial log are unchanged, so the page stays fast with a
// thousand experiments (BenchmarkListPage1000).
func (h *handler) list(w http.ResponseWriter, r *http.Request) {
	rows, err := h.s.listRows(time.Now())
	if err != nil {
		h.fail(w, r, http.StatusInternalServerError, "Cannot read the runs folder: "+h.s.hidePaths(err.Error()))
		return
	}
	v := &listView{Deleted: r.URL.Query().Get("deleted"), Rows: rows}
	h.render(w, r, http.StatusOK, "list.html", v)
}

// warmList reads every experiment's list row once, in the background of a
// starting server, so that the first visit to the list finds them cached
// rather than reading a thousand records; listWarm is closed when it is done.
func (s *Server) warmList() {
	s.listWarm = make(chan struct{})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(s.listWarm)
		s.listRows(time.Now())
	}()
}

// listRows returns the list's rows, newest first.
func (s *Server) listRows(now time.Time) ([]listRow, error) {
	entries, err := os.ReadDir(s.cfg.Runs)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); e.IsDir() && validName(n) {
			names = append(names, n)
		}
	}
	// Reading records is I/O: a few at once (a cold list reads them all).
	rows, oks := make([]listRow, len(names)), make([]bool, len(names))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(8, len(names)) {
		wg.Go(func() {
			for i := range next {
				rows[i], oks[i] = s.listed.row(s, names[i], now)
			}
		})
	}
	for i := range names {
		next <- i
	}
	close(next)
	wg.Wait()
	var out []listRow
	for i, ok := range oks {
		if ok {
			out = append(out, rows[i])
		}
	}
	slices.SortFunc(out, func(a, b listRow) int { return cmp.Or(b.Started.Compare(a.Started), cmp.Compare(a.Name, b.Name)) })
	return out, nil
}

// listCache keeps the list's row of each experiment, by folder name.
type listCache struct {
	mu sync.Mutex
	m  map[string]cachedRow
}

type cachedRow struct {
	expSize, logSize int64
	expMod, logMod   time.Time
	sized            time.Time // when Size was measured
	row              listRow
}

// sizeTTL is how long a folder's measured size is shown before it is
// measured again (files such as plots come without a change to the record).
const sizeTTL = time.Minute

// row returns the list's row of experiment name; false when the folder holds none.
func (c *listCache) row(s *Server, name string, now time.Time) (listRow, bool) {
	lay := store.At(store.ExperimentDir(s.cfg.Runs, name))
	var key cachedRow
	fi, err := os.Stat(lay.Experiment())
	if err != nil {
		return listRow{}, false
	}
	key.expSize, key.expMod = fi.Size(), fi.ModTime()
	if fi, err := os.Stat(lay.TrialLog()); err == nil {
		key.logSize, key.logMod = fi.Size(), fi.ModTime()
	}
	live := s.live.get(name)
	c.mu.Lock()
	got, hit := c.m[name]
	c.mu.Unlock()
	if hit && live == nil && got.expSize == key.expSize && got.expMod.Equal(key.expMod) && got.logSize == key.logSize && got.logMod.Equal(key.logMod) {
		if now.Sub(got.sized) > sizeTTL {
			got.row.Size, got.sized = folderSize(lay.Dir), now
			c.put(name, got)
		}
		return got.row, true
	}
	var row listRow
	if live != nil {
		x, err := s.load(name)
		if err != nil {
			s.log.Warn("skipping experiment", "name", name, "err", err)
			return listRow{}, false
		}
		e := x.Exp
		row = listRow{Name: name, Status: x.Status, Data: filepath.Base(e.Data.Path), Target: e.Config.Target,
			Metric: e.Config.Metric, Trials: e.Trials, Started: e.Started, Resumable: resumable(x.Status) && x.Status != "running"}
		snap := x.Live.since(math.MaxInt)
		row.Best, row.Trials = snap.Progress.BestScore, snap.Progress.Done
		if snap.Progress.Done == 0 {
			row.Best = math.NaN()
		}
		row.Size = folderSize(lay.Dir)
		row.format()
		return row, true
	}
	// The few fields the list shows: decoding the whole record (profile,
	// plan) costs most of a cold render of a long list.
	b, err := os.ReadFile(lay.Experiment())
	var rec struct {
		Status  string    `json:"status"`
		Best    *int      `json:"best"`
		Trials  int       `json:"trials"`
		Started time.Time `json:"started"`
		Data    struct {
			Path string `json:"path"`
		} `json:"data"`
		Config struct {
			Target string `json:"target"`
			Metric string `json:"metric"`
		} `json:"config"`
	}
	if err == nil {
		err = json.Unmarshal(b, &rec)
	}
	if err != nil {
		s.log.Warn("skipping experiment", "name", name, "err", err)
		return listRow{}, false
	}
	if rec.Status == "running" { // not here: its process was stopped or killed
		rec.Status = "interrupted"
	}
	row = listRow{Name: name, Status: rec.Status, Data: filepath.Base(rec.Data.Path), Target: rec.Config.Target,
		Metric: rec.Config.Metric, Best: math.NaN(), Trials: rec.Trials, Started: rec.Started, Resumable: resumable(rec.Status)}
	if rec.Best != nil {
		row.Best = bestScore(lay, *rec.Best, rec.Config.Metric)
	}
	if hit && now.Sub(got.sized) <= sizeTTL {
		row.Size = got.row.Size
		key.sized = got.sized
	} else {
		row.Size, key.sized = folderSize(lay.Dir), now
	}
	row.format()
	key.row = row
	c.put(name, key)
	return row, true
}

func (c *listCache) put(name string, r cachedRow) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]cachedRow{}
	}
	c.m[name] = r
}

func folderSize(dir string) string {
	return fmt.Sprintf("%.1f MB", float64(automl.Size(dir))/1e6)
}

// bestScore reads one trial's record for its primary score.
func bestScore(lay store.Layout, id int, metric string) float64 {
	b, err := os.ReadFile(lay.TrialRecord(id))
	if err != nil {
		return math.NaN()
	}
	var t automl.Trial
	if json.Unmarshal(b, &t) != nil {
		return math.NaN()
	}
	return t.Score(metric)
}
