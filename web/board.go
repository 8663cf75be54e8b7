package web

import (
	"html"
	"html/template"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

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
	HTML     template.HTML // the rows shown
	Shown    int           // how many
	Family   string        // the family shown, "" = all
	Families []familyOption
	Total    int    // trials matching the filter
	Limit    int    // rows shown at most (0 = all)
	AllURL   string // the same view with every trial, "" when all are asked for
	TopURL   string // back to the top rows, "" when they are shown
	Base     string // the page's URL without a query, for the filter form
	TrialURL string // sorted by trial number, ascending
	Sort     string // the column the rows are ordered by
	SortDir  string // "ascending" or "descending" (aria-sort)
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
func (q boardQuery) board(trials []automl.Trial, metric, base string, memo *boardMemo) board {
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
	// Rank, filter and order indices on numbers read once; only the rows
	// shown are formatted (a 5,000-trial page shows 20).
	type cand struct {
		i, rank int
		key     float64
	}
	var cands []cand
	order, ranks := memo.ranking(trials, metric, base)
	for _, i := range order {
		t := &trials[i]
		r := ranks[i]
		if q.Family != "" && string(t.Model.Family) != q.Family {
			continue
		}
		c := cand{i: i, rank: r, key: math.NaN()}
		switch sortKey {
		case "trial":
			c.key = float64(t.ID)
		case "fit":
			c.key = t.Timing.FitSeconds
		default:
			if v, ok := t.Val[sortKey]; ok && t.Status == "ok" {
				c.key = v
			}
		}
		cands = append(cands, c)
	}
	cols := append(slices.Clone(keys), "fit")
	desc := q.Dir == "desc" || (q.Dir == "" && sortKey != "fit" && sortKey != "trial" && metrics.HigherIsBetter(sortKey))
	if sortKey != metric || q.Dir != "" {
		// Order by the requested column; missing values last, ties by trial.
		slices.SortStableFunc(cands, func(a, b cand) int {
			va, vb := a.key, b.key
			ida, idb := trials[a.i].ID, trials[b.i].ID
			switch {
			case math.IsNaN(va) && math.IsNaN(vb):
				return ida - idb
			case math.IsNaN(va):
				return 1
			case math.IsNaN(vb):
				return -1
			case va == vb:
				return ida - idb
			case (va < vb) != desc:
				return -1
			}
			return 1
		})
	}
	tq := q
	tq.Sort, tq.Dir = "trial", "asc"
	if sortKey == "trial" && !desc {
		tq.Dir = "desc"
	}
	b.TrialURL = tq.url(base)
	b.Sort, b.SortDir = sortKey, "ascending"
	if desc {
		b.SortDir = "descending"
	}
	b.Total = len(cands)
	shown := cands
	if !q.All { // live rows beyond the limit are dropped too (static/app.js)
		shown = cands[:min(len(cands), boardTop)]
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
	idx := make([]int, len(shown))
	for j, c := range shown {
		idx[j] = c.i
	}
	b.HTML, b.Shown = memo.rows(trials, idx, metric, keys, base), len(shown)
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
	return b
}

// ranking returns the indices of trials in leaderboard order (as
// automl.Leaderboard orders them: best primary validation score first,
// failed trials last, ties by ID) without copying the trials.
func ranking(trials []automl.Trial, metric string) []int {
	hi := metrics.HigherIsBetter(metric)
	type key struct {
		none bool    // no score: failed
		s    float64 // the score, negated when higher is better
		id   int
		i    int
	}
	ks := make([]key, len(trials))
	for i := range trials {
		s := trials[i].Score(metric)
		if hi {
			s = -s
		}
		ks[i] = key{math.IsNaN(s), s, trials[i].ID, i}
	}
	slices.SortFunc(ks, func(a, b key) int {
		switch {
		case a.none != b.none:
			if a.none {
				return 1
			}
			return -1
		case !a.none && a.s != b.s:
			return cmpFloat(a.s, b.s)
		}
		return a.id - b.id
	})
	out := make([]int, len(ks))
	for j, k := range ks {
		out[j] = k.i
	}
	return out
}

func cmpFloat(a, b float64) int {
	if a < b {
		return -1
	}
	return 1
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

// rowHTML writes a leaderboard row. It is written by hand rather than by a
// template because a 5,000-trial "show all" page spent most of its time in
// the template's reflection; every value is escaped here.
func rowHTML(r row) template.HTML {
	var b strings.Builder
	writeRow(&b, r)
	return template.HTML(b.String())
}

func writeRow(b *strings.Builder, r row) {
	e := html.EscapeString
	id := strconv.Itoa(r.ID)
	b.WriteString(`<tr data-id="` + id + `" data-family="` + e(r.FamilyKey) + `"`)
	if !r.OK {
		b.WriteString(` class="failed"`)
	}
	b.WriteString(">\n<td class=\"num rank\">")
	if r.Rank > 0 {
		b.WriteString(strconv.Itoa(r.Rank))
	} else {
		b.WriteString("–")
	}
	b.WriteString("</td>\n<td class=\"num trial\" data-v=\"" + id + `"><input type="checkbox" form="compare-form" name="t" value="` + id +
		`" aria-label="Compare trial ` + id + `"> <a href="` + e(r.URL) + `">` + id + "</a></td>\n")
	cellHTML := func(c cell, class string) {
		b.WriteString(`<td class="` + class + `" data-v="` + e(c.Value) + `">` + e(c.Text) + "</td>")
	}
	if len(r.Cells) > 0 {
		cellHTML(r.Cells[0], "num primary-col")
		b.WriteString("\n")
	}
	b.WriteString(`<td class="model"><span class="family">` + e(r.Family) + `</span> <small class="desc">` + e(r.Desc) + "</small>")
	if r.Worker != "" {
		b.WriteString(` <small class="worker">on ` + e(r.Worker) + "</small>")
	}
	if r.Error != "" {
		b.WriteString(`<br><small class="error">failed: ` + e(r.Error) + "</small>")
	}
	b.WriteString("</td>\n")
	for i := 1; i < len(r.Cells); i++ {
		cellHTML(r.Cells[i], "num more")
	}
	b.WriteString("\n</tr>")
}

// boardMemo keeps, for the last trial list shown, its ranking and the HTML
// of its rows as they are rendered, so that the pages of a big finished
// experiment (whose trial list the server caches until the log changes)
// do not rank and format thousands of trials again for each request.
type boardMemo struct {
	mu     sync.Mutex
	first  *automl.Trial // identifies the list: the cache returns the same slice
	n      int
	metric string
	base   string
	order  []int    // trial indices in leaderboard order
	rank   []int    // by trial index: rank among successful trials, 0 when failed
	html   []string // by trial index: the row, "" until rendered
}

// sync makes the memo hold trials; called with mu held.
func (m *boardMemo) sync(trials []automl.Trial, metric, base string) {
	var first *automl.Trial
	if len(trials) > 0 {
		first = &trials[0]
	}
	if m.first == first && m.n == len(trials) && m.metric == metric && m.base == base && m.order != nil {
		return
	}
	m.first, m.n, m.metric, m.base = first, len(trials), metric, base
	m.order = ranking(trials, metric)
	m.rank = make([]int, len(trials))
	r := 0
	for _, i := range m.order {
		if trials[i].Status == "ok" {
			r++
			m.rank[i] = r
		}
	}
	m.html = make([]string, len(trials))
}

// ranking returns the leaderboard order and the ranks by trial index; the
// slices are shared, not to be modified.
func (m *boardMemo) ranking(trials []automl.Trial, metric, base string) (order, rank []int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sync(trials, metric, base)
	return m.order, m.rank
}

// rows returns the HTML of the rows of trials at idx, in that order.
func (m *boardMemo) rows(trials []automl.Trial, idx []int, metric string, keys []string, base string) template.HTML {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sync(trials, metric, base) // another page may have used the memo since ranking
	var b strings.Builder
	for _, i := range idx {
		if m.html[i] == "" {
			var rb strings.Builder
			writeRow(&rb, trialRow(trials[i], m.rank[i], keys, base))
			m.html[i] = rb.String()
		}
		b.WriteString(m.html[i])
	}
	return template.HTML(b.String())
}
