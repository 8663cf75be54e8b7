package web

import (
	"math"
	"net/url"
	"slices"
	"strconv"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/models"
)

// boardTop is how many trials the leaderboard shows until "show all".
const boardTop = 20

// boardQuery is what the leaderboard's URL asks for: the sort column and
// direction, one family, and whether to show every trial.
type boardQuery struct {
	Sort, Dir, Family string
	All               bool
}

// url is the experiment page's URL for q.
func (q boardQuery) url(base string) string {
	v := url.Values{}
	if q.Sort != "" {
		v.Set("sort", q.Sort)
		v.Set("dir", q.Dir)
	}
	if q.Family != "" {
		v.Set("family", q.Family)
	}
	if q.All {
		v.Set("all", "1")
	}
	if len(v) == 0 {
		return base
	}
	return base + "?" + v.Encode()
}

// board is the leaderboard as the page shows it.
type board struct {
	Columns  []column
	Rows     []row
	Family   string // the family shown, "" = all
	Families []familyOption
	Total    int    // trials matching the filter
	Limit    int    // rows shown at most (0 = all)
	AllURL   string // the same view with every trial, "" when all are asked for
	TopURL   string // back to the top rows, "" when they are shown
	Base     string // the page's URL without a query, for the filter form
}

// familyOption is one family in the leaderboard's filter, with how many
// trials it ran and its best score.
type familyOption struct {
	Value, Label string
	Trials       int
	Best         string
	Selected     bool
}

// families lists the families of the trials: registered ones in the
// registry's order, then any other (an ensemble trial's) by name.
func families(trials []automl.Trial, metric, selected string) []familyOption {
	count := map[models.Family]int{}
	best := map[models.Family]float64{}
	for _, t := range trials {
		f := t.Model.Family
		count[f]++
		if s := t.Score(metric); !math.IsNaN(s) {
			if b, ok := best[f]; !ok || (metrics.HigherIsBetter(metric) == (s > b) && s != b) {
				best[f] = s
			}
		}
	}
	var order []models.Family
	for _, d := range models.All() {
		if count[d.Name] > 0 {
			order = append(order, d.Name)
		}
	}
	var rest []models.Family
	for f := range count {
		if !slices.Contains(order, f) {
			rest = append(rest, f)
		}
	}
	slices.Sort(rest)
	var out []familyOption
	for _, f := range append(order, rest...) {
		o := familyOption{Value: string(f), Label: familyLabel(f), Trials: count[f], Best: "–", Selected: string(f) == selected}
		if b, ok := best[f]; ok {
			o.Best = formatScore(b)
		}
		out = append(out, o)
	}
	return out
}

// board ranks the trials by the primary metric (ranks count every trial,
// whatever the filter), keeps the family asked for, orders by the
// requested column and cuts to the top rows unless all are asked for.
func (q boardQuery) board(trials []automl.Trial, metric, base string) board {
	keys := metricColumns(metric)
	if !slices.Contains(keys, q.Sort) && q.Sort != "trial" && q.Sort != "fit" {
		q.Sort, q.Dir = "", ""
	}
	if q.Dir != "asc" && q.Dir != "desc" {
		q.Dir = ""
	}
	b := board{Families: families(trials, metric, q.Family), Base: base}
	if !slices.ContainsFunc(b.Families, func(o familyOption) bool { return o.Selected }) {
		q.Family = ""
	}
	b.Family = q.Family
	sortKey := cmpOr(q.Sort, metric)
	ranked := automl.Leaderboard(trials, metric)
	rows := make([]row, 0, len(ranked))
	rank := 0
	for _, t := range ranked {
		if t.Status == "ok" {
			rank++
		}
		if q.Family != "" && string(t.Model.Family) != q.Family {
			continue
		}
		r := 0
		if t.Status == "ok" {
			r = rank
		}
		rows = append(rows, trialRow(t, r, keys, base))
	}
	// Order by the requested column; missing values last.
	cols := append(slices.Clone(keys), "fit")
	idx := slices.Index(cols, sortKey)
	desc := q.Dir == "desc" || (q.Dir == "" && sortKey != "fit" && sortKey != "trial" && metrics.HigherIsBetter(sortKey))
	if sortKey != metric || q.Dir != "" {
		slices.SortStableFunc(rows, func(a, b row) int {
			var va, vb float64
			if sortKey == "trial" {
				va, vb = float64(a.ID), float64(b.ID)
			} else {
				va, vb = cellNum(a.Cells[idx]), cellNum(b.Cells[idx])
			}
			switch {
			case math.IsNaN(va) && math.IsNaN(vb):
				return a.ID - b.ID
			case math.IsNaN(va):
				return 1
			case math.IsNaN(vb):
				return -1
			case va == vb:
				return a.ID - b.ID
			case (va < vb) != desc:
				return -1
			}
			return 1
		})
	}
	for _, k := range cols {
		label := metricLabel(k)
		if k == "fit" {
			label = "fit time"
		}
		c := column{Key: k, Label: label, Higher: k != "fit" && metrics.HigherIsBetter(k)}
		next := "desc"
		if !c.Higher {
			next = "asc"
		}
		if c.Key == sortKey {
			c.Sort = "ascending"
			next = "desc"
			if desc {
				c.Sort, next = "descending", "asc"
			}
		}
		cq := q
		cq.Sort, cq.Dir = k, next
		c.URL = cq.url(base)
		b.Columns = append(b.Columns, c)
	}
	b.Total = len(rows)
	if !q.All { // live rows beyond the limit are dropped too (static/app.js)
		rows = rows[:min(len(rows), boardTop)]
		b.Limit = boardTop
		aq := q
		aq.All = true
		b.AllURL = aq.url(base)
	}
	if q.All && b.Total > boardTop {
		tq := q
		tq.All = false
		b.TopURL = tq.url(base)
	}
	b.Rows = rows
	return b
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// trialRow builds one leaderboard row; keys are the metric columns, then
// the fit time is added.
func trialRow(t automl.Trial, rank int, keys []string, base string) row {
	rw := row{ID: t.ID, Rank: rank, Family: familyLabel(t.Model.Family), FamilyKey: string(t.Model.Family),
		Desc: automl.Describe(t), OK: t.Status == "ok", Worker: t.Worker, URL: base + "/trials/" + strconv.Itoa(t.ID)}
	if !rw.OK {
		rw.Error = firstLine(t.Error)
	}
	for _, k := range keys {
		v, ok := t.Val[k]
		if !ok || math.IsNaN(v) || !rw.OK {
			rw.Cells = append(rw.Cells, cell{Text: "–"})
			continue
		}
		rw.Cells = append(rw.Cells, cell{Text: formatScore(v), Value: strconv.FormatFloat(v, 'g', -1, 64)})
	}
	rw.Cells = append(rw.Cells, cell{Text: formatSeconds(t.Timing.FitSeconds), Value: strconv.FormatFloat(t.Timing.FitSeconds, 'g', -1, 64)})
	return rw
}
