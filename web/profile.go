package web

import (
	"fmt"
	"math"
	"strings"

	"github.com/goautoml/automl/dataset"
)

// profileRow is one column of a data profile as the pages show it.
type profileRow struct {
	Name, Kind, Summary string
	Missing, Distinct   int
	MissingPct          string
	Hist                []bar
	Alerts              []string
}

// bar is one histogram bar in a 100×24 SVG.
type bar struct {
	X, Y, W, H float64
	Title      string
}

func profileRows(p *dataset.Profile) []profileRow {
	if p == nil {
		return nil
	}
	out := make([]profileRow, 0, len(p.Columns))
	for _, c := range p.Columns {
		r := profileRow{Name: c.Name, Kind: string(c.Kind), Missing: c.Missing, Distinct: c.Distinct,
			MissingPct: formatPct(c.Missing, c.Count)}
		switch {
		case c.Kind == dataset.Numeric && !math.IsNaN(c.Mean):
			r.Summary = fmt.Sprintf("min %s · mean %s · max %s", formatNum(c.Min), formatNum(c.Mean), formatNum(c.Max))
		case len(c.Top) > 0:
			var parts []string
			for i, t := range c.Top {
				if i == 3 {
					parts = append(parts, "…")
					break
				}
				parts = append(parts, fmt.Sprintf("%s (%d)", t.Value, t.Count))
			}
			r.Summary = strings.Join(parts, ", ")
		}
		r.Hist = histogram(c.Histogram)
		if r.Hist == nil && c.Kind != dataset.ID && c.Kind != dataset.Text {
			r.Hist = topBars(c.Top)
		}
		for _, a := range c.Alerts {
			r.Alerts = append(r.Alerts, a.Message)
		}
		out = append(out, r)
	}
	return out
}

func histogram(bins []dataset.HistBin) []bar {
	if len(bins) == 0 {
		return nil
	}
	top := 0
	for _, b := range bins {
		top = max(top, b.Count)
	}
	if top == 0 {
		return nil
	}
	w := 100.0 / float64(len(bins))
	out := make([]bar, len(bins))
	for i, b := range bins {
		h := 24 * float64(b.Count) / float64(top)
		out[i] = bar{X: float64(i) * w, Y: 24 - h, W: w * 0.9, H: h,
			Title: fmt.Sprintf("%s to %s: %d rows", formatNum(b.Lo), formatNum(b.Hi), b.Count)}
	}
	return out
}

// topBars draws the most frequent values of a categorical column.
func topBars(top []dataset.ValueCount) []bar {
	if len(top) < 2 || top[0].Count == 0 {
		return nil
	}
	w := 100.0 / float64(len(top))
	out := make([]bar, len(top))
	for i, v := range top {
		h := 24 * float64(v.Count) / float64(top[0].Count)
		out[i] = bar{X: float64(i) * w, Y: 24 - h, W: w * 0.85, H: h, Title: fmt.Sprintf("%s: %d rows", v.Value, v.Count)}
	}
	return out
}
