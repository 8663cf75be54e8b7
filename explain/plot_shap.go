package explain

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/metrics"
)

// TopN is how many columns the SHAP plots show.
const TopN = 20

// ranked returns the indices of imp from largest to smallest (ties by
// index), at most n of them.
func ranked(imp []float64, n int) []int {
	idx := make([]int, len(imp))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return imp[idx[a]] > imp[idx[b]] })
	return idx[:min(n, len(idx))]
}

// plotHeight gives room for rows of labels on a horizontal plot.
func plotHeight(rows int) vg.Length {
	return max(Size, vg.Length(rows)*vg.Points(17)+vg.Inch)
}

// SHAPBar draws the mean |SHAP| of the top columns as horizontal bars, the
// most important on top. It returns the plot and the height to save it at.
func SHAPBar(title string, names []string, imp []float64, top int) (*plot.Plot, vg.Length, error) {
	if len(names) != len(imp) {
		return nil, 0, fmt.Errorf("explain: %d names for %d importances", len(names), len(imp))
	}
	order := ranked(imp, top)
	vals := make(plotter.Values, len(order))
	labels := make([]string, len(order))
	for i, j := range order {
		vals[len(order)-1-i] = imp[j]
		labels[len(order)-1-i] = names[j]
	}
	p := plot.New()
	p.Title.Text, p.X.Label.Text = title, "mean |SHAP value|"
	if len(vals) > 0 {
		b, err := plotter.NewBarChart(vals, vg.Points(11))
		if err != nil {
			return nil, 0, err
		}
		b.Horizontal, b.Color, b.LineStyle.Width = true, color.RGBA{R: 0, G: 139, B: 251, A: 255}, 0
		p.Add(b)
		p.NominalY(labels...)
	}
	p.X.Min = 0
	p.Add(plotter.NewGrid())
	return p, plotHeight(len(order)), nil
}

// shapColor maps t in [0, 1] from blue (low value) to red (high value), as
// shap's summary plot does; NaN is grey.
func shapColor(t float64) color.Color {
	if math.IsNaN(t) {
		return color.RGBA{R: 150, G: 150, B: 150, A: 255}
	}
	t = min(1, max(0, t))
	lo, hi := [3]float64{0, 139, 251}, [3]float64{255, 0, 82}
	var c [3]uint8
	for i := range c {
		c[i] = uint8(math.Round(lo[i] + t*(hi[i]-lo[i])))
	}
	return color.RGBA{R: c[0], G: c[1], B: c[2], A: 255}
}

// scaled maps values to [0, 1] between their 5th and 95th percentiles
// (min and max when those coincide); NaN stays NaN.
func scaled(v []float64) []float64 {
	var s []float64
	for _, x := range v {
		if !math.IsNaN(x) {
			s = append(s, x)
		}
	}
	out := make([]float64, len(v))
	if len(s) == 0 {
		for i := range out {
			out[i] = math.NaN()
		}
		return out
	}
	slices.Sort(s)
	q := func(p float64) float64 { return s[int(math.Round(p*float64(len(s)-1)))] }
	lo, hi := q(0.05), q(0.95)
	if hi <= lo {
		lo, hi = s[0], s[len(s)-1]
	}
	for i, x := range v {
		switch {
		case math.IsNaN(x):
			out[i] = math.NaN()
		case hi <= lo:
			out[i] = 0.5
		default:
			out[i] = (x - lo) / (hi - lo)
		}
	}
	return out
}

// Beeswarm draws shap's summary plot: for each of the top columns (by
// mean |SHAP|, most important on top), one dot per row at its SHAP value,
// piled up where dots crowd, coloured by the column's value in that row
// (blue low, red high, grey when the column is not numeric or missing).
// phi is rows × columns; values[j] holds column j's value per row.
func Beeswarm(title string, names []string, phi *mat.Dense, values [][]float64, top int) (*plot.Plot, vg.Length, error) {
	rows, cols := phi.Dims()
	if phi.IsEmpty() {
		rows, cols = 0, len(names)
	}
	if len(names) != cols || len(values) != cols {
		return nil, 0, fmt.Errorf("explain: beeswarm of %d columns with %d names and %d value columns", cols, len(names), len(values))
	}
	imp := make([]float64, cols)
	lo, hi := 0.0, 0.0
	for i := range rows {
		for j, v := range phi.RawRowView(i) {
			imp[j] += math.Abs(v)
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	order := ranked(imp, top)
	const bins = 100
	width := (hi - lo) / bins
	if width == 0 {
		width = 1
	}
	// Layer dots falling in the same bin: 0, +1, -1, +2, -2, ...
	offsets := make([][]float64, len(order))
	most := 1.0
	for r, j := range order {
		count := map[int]int{}
		offsets[r] = make([]float64, rows)
		for i := range rows {
			b := int(math.Floor((phi.At(i, j) - lo) / width))
			layer := count[b]
			count[b]++
			o := float64((layer + 1) / 2)
			if layer%2 == 0 {
				o = -o
			}
			offsets[r][i] = o
			most = max(most, math.Abs(o))
		}
	}
	p := plot.New()
	p.Title.Text, p.X.Label.Text = title, "SHAP value (impact on model output)"
	zero, err := plotter.NewLine(plotter.XYs{{X: 0, Y: -0.5}, {X: 0, Y: float64(len(order)) - 0.5}})
	if err != nil {
		return nil, 0, err
	}
	zero.Color = color.Gray{Y: 120}
	p.Add(zero)
	labels := make([]string, len(order))
	for r, j := range order {
		ypos := float64(len(order) - 1 - r)
		labels[len(order)-1-r] = names[j]
		if rows == 0 {
			continue
		}
		xys := make(plotter.XYs, rows)
		for i := range rows {
			xys[i] = plotter.XY{X: phi.At(i, j), Y: ypos + 0.4*offsets[r][i]/most}
		}
		s, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, 0, err
		}
		col := scaled(values[j])
		s.GlyphStyleFunc = func(i int) draw.GlyphStyle {
			return draw.GlyphStyle{Color: shapColor(col[i]), Radius: vg.Points(1.8), Shape: draw.CircleGlyph{}}
		}
		p.Add(s)
	}
	p.X.Label.Text += "\ndot colour: the column's value, blue low to red high\n(grey: categorical or missing)"
	if len(labels) > 0 {
		p.NominalY(labels...)
	}
	return p, plotHeight(len(order)), nil
}

// ScoreOverTime draws each successful trial's validation score against the
// time it finished, with the best score so far as a step line.
func ScoreOverTime(trials []automl.Trial, metric string) (*plot.Plot, error) {
	ok := slices.Clone(trials)
	ok = slices.DeleteFunc(ok, func(t automl.Trial) bool { return math.IsNaN(t.Score(metric)) })
	sort.SliceStable(ok, func(a, b int) bool { return ok[a].Timing.OffsetSeconds < ok[b].Timing.OffsetSeconds })
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = "Best "+metric+" over time", "Seconds since the start", "Validation "+metric
	p.Add(plotter.NewGrid())
	if len(ok) == 0 {
		return p, nil
	}
	var dots, best plotter.XYs
	b := math.NaN()
	for _, t := range ok {
		s := t.Score(metric)
		dots = append(dots, plotter.XY{X: t.Timing.OffsetSeconds, Y: s})
		if math.IsNaN(b) || (metrics.HigherIsBetter(metric) && s > b) || (!metrics.HigherIsBetter(metric) && s < b) {
			if !math.IsNaN(b) {
				best = append(best, plotter.XY{X: t.Timing.OffsetSeconds, Y: b})
			}
			b = s
		}
		best = append(best, plotter.XY{X: t.Timing.OffsetSeconds, Y: b})
	}
	sc, err := plotter.NewScatter(dots)
	if err != nil {
		return nil, err
	}
	sc.GlyphStyle = draw.GlyphStyle{Color: color.Gray{Y: 140}, Radius: vg.Points(2), Shape: draw.CircleGlyph{}}
	l, err := plotter.NewLine(best)
	if err != nil {
		return nil, err
	}
	l.Color, l.Width = lineColor(0), vg.Points(1.5)
	p.Add(sc, l)
	p.Legend.Add("trial", sc)
	p.Legend.Add("best so far", l)
	p.Legend.Top = !metrics.HigherIsBetter(metric) // away from the rising or falling line
	pad(p)
	return p, nil
}

// ScoreByFamily draws every successful trial's validation score in one
// column per model family, the family's best marked in red.
func ScoreByFamily(trials []automl.Trial, metric string) (*plot.Plot, error) {
	by := map[string][]float64{}
	for _, t := range trials {
		if s := t.Score(metric); !math.IsNaN(s) {
			by[string(t.Model.Family)] = append(by[string(t.Model.Family)], s)
		}
	}
	fams := make([]string, 0, len(by))
	for f := range by {
		fams = append(fams, f)
	}
	slices.Sort(fams)
	p := plot.New()
	p.Title.Text, p.Y.Label.Text = "Validation "+metric+" by model family", "Validation "+metric
	p.Add(plotter.NewGrid())
	var dots, best plotter.XYs
	for x, f := range fams {
		b := by[f][0]
		for i, s := range by[f] {
			dots = append(dots, plotter.XY{X: float64(x) + 0.07*float64(i%7-3), Y: s})
			if (metrics.HigherIsBetter(metric) && s > b) || (!metrics.HigherIsBetter(metric) && s < b) {
				b = s
			}
		}
		best = append(best, plotter.XY{X: float64(x), Y: b})
	}
	if len(fams) == 0 {
		return p, nil
	}
	sc, err := plotter.NewScatter(dots)
	if err != nil {
		return nil, err
	}
	sc.GlyphStyle = draw.GlyphStyle{Color: color.NRGBA{R: 0, G: 139, B: 251, A: 200}, Radius: vg.Points(2.2), Shape: draw.CircleGlyph{}}
	bs, err := plotter.NewScatter(best)
	if err != nil {
		return nil, err
	}
	bs.GlyphStyle = draw.GlyphStyle{Color: lineColor(0), Radius: vg.Points(4), Shape: draw.CrossGlyph{}}
	p.Add(sc, bs)
	p.Legend.Add("trial", sc)
	p.Legend.Add("family best", bs)
	p.NominalX(fams...)
	p.X.Tick.Label.Rotation = math.Pi / 6
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	p.X.Min, p.X.Max = -0.6, float64(len(fams))-0.4
	pad(p)
	return p, nil
}

// pad widens the y range by 5 % on each side so that no mark sits on the
// plot's edge.
func pad(p *plot.Plot) {
	lo, hi := p.Y.Min, p.Y.Max
	d := (hi - lo) * 0.05
	if d == 0 {
		d = 0.01
	}
	p.Y.Min, p.Y.Max = lo-d, hi+d
}
