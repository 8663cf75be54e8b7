package explain

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"path/filepath"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/brewer"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/store"
)

// Size is the default size of a saved plot.
const Size = 4.5 * vg.Inch

// DPI is the resolution of saved PNG images.
const DPI = 96

// Plots is which image files a plot is saved as.
type Plots string

const (
	// PlotsPNG, the default, is what the web UI and the notebooks show.
	PlotsPNG Plots = "png"
	// PlotsSVG scales without blur; the web UI and notebooks do not show it.
	PlotsSVG Plots = "svg"
	// PlotsBoth writes name.png and name.svg.
	PlotsBoth Plots = "both"
)

// Check reports whether f is one of the formats ("" is PlotsPNG).
func (f Plots) Check() error {
	switch f {
	case "", PlotsPNG, PlotsSVG, PlotsBoth:
		return nil
	}
	return fmt.Errorf("plots %q: expected png, svg or both", string(f))
}

func (f Plots) png() bool { return f != PlotsSVG }
func (f Plots) svg() bool { return f == PlotsSVG || f == PlotsBoth }

// Render draws p as PNG (at DPI) and as SVG. The SVG names its fonts
// (Liberation, with the generic fallbacks a browser has) instead of
// embedding them: embedded, each plot carried about 500 KB of font data.
func Render(p *plot.Plot, w, h vg.Length) (pngData, svgData []byte, err error) {
	return render(p, w, h, PlotsBoth)
}

// render draws p in the formats f asks for (nil for the other).
func render(p *plot.Plot, w, h vg.Length, f Plots) (pngData, svgData []byte, err error) {
	if f.png() {
		img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))
		p.Draw(draw.New(img))
		var pb bytes.Buffer
		if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&pb); err != nil {
			return nil, nil, err
		}
		pngData = pb.Bytes()
	}
	if f.svg() {
		sv := vgsvg.NewWith(vgsvg.UseWH(w, h), vgsvg.EmbedFonts(false))
		p.Draw(draw.New(sv))
		var sb bytes.Buffer
		if _, err := sv.WriteTo(&sb); err != nil {
			return nil, nil, err
		}
		svgData = sb.Bytes()
	}
	return pngData, svgData, nil
}

// Save writes p into dir as name.png, name.svg or both, as f says, and
// returns the file names.
func Save(p *plot.Plot, w, h vg.Length, dir, name string, f Plots) ([]string, error) {
	if err := f.Check(); err != nil {
		return nil, err
	}
	pngData, svgData, err := render(p, w, h, f)
	if err != nil {
		return nil, fmt.Errorf("explain: render %s: %w", name, err)
	}
	var files []string
	for _, out := range []struct {
		ext  string
		data []byte
	}{{".png", pngData}, {".svg", svgData}} {
		if out.data == nil {
			continue
		}
		if err := store.WriteFile(filepath.Join(dir, name+out.ext), out.data); err != nil {
			return nil, err
		}
		files = append(files, name+out.ext)
	}
	return files, nil
}

// colors is a qualitative palette (Set1) for one line per class.
var colors = func() []color.Color {
	p, err := brewer.GetPalette(brewer.TypeQualitative, "Set1", 9)
	if err != nil {
		panic(err)
	}
	return p.Colors()
}()

func lineColor(i int) color.Color { return colors[i%len(colors)] }

// Curve is one line of a plot.
type Curve struct {
	Label string
	X, Y  []float64
}

func linePlot(title, xl, yl string, curves []Curve, diagonal bool) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, xl, yl
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1.02
	p.Add(plotter.NewGrid())
	if diagonal {
		d, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
		if err != nil {
			return nil, err
		}
		d.Color, d.Dashes = color.Gray{Y: 150}, []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(d)
	}
	for i, c := range curves {
		xys := make(plotter.XYs, 0, len(c.X))
		for k := range c.X {
			if !math.IsNaN(c.X[k]) && !math.IsNaN(c.Y[k]) {
				xys = append(xys, plotter.XY{X: c.X[k], Y: c.Y[k]})
			}
		}
		if len(xys) == 0 {
			continue
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		l.Color, l.Width = lineColor(i), vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(c.Label, l)
	}
	p.Legend.Left, p.Legend.Top = false, false
	return p, nil
}

// scores returns column k of P.
func scores(P *mat.Dense, k int) []float64 { return mat.Col(nil, k, P) }

// targets lists the classes a binary or one-vs-rest plot draws: the
// positive class for binary problems, every class otherwise.
func targets(classes []string, pos int) []int {
	if len(classes) == 2 && pos >= 0 {
		return []int{pos}
	}
	all := make([]int, len(classes))
	for k := range all {
		all[k] = k
	}
	return all
}

// ROCPlot draws the ROC curve of the positive class (binary) or one
// one-vs-rest curve per class, with the AUC in the legend.
func ROCPlot(title string, y []int, P *mat.Dense, classes []string, pos int) (*plot.Plot, error) {
	var cs []Curve
	for _, k := range targets(classes, pos) {
		fpr, tpr, _ := metrics.ROCCurve(y, scores(P, k), k)
		auc := metrics.ROCAUC(y, scores(P, k), k)
		cs = append(cs, Curve{Label: fmt.Sprintf("%s (AUC = %.3f)", classes[k], auc), X: fpr, Y: tpr})
	}
	return linePlot(title, "False positive rate", "True positive rate", cs, true)
}

// PRPlot draws precision against recall for the positive class (binary)
// or for each class against the rest, with the average precision in the
// legend.
func PRPlot(title string, y []int, P *mat.Dense, classes []string, pos int) (*plot.Plot, error) {
	var cs []Curve
	for _, k := range targets(classes, pos) {
		prec, rec, _ := metrics.PRCurve(y, scores(P, k), k)
		ap := metrics.AveragePrecision(y, scores(P, k), k)
		cs = append(cs, Curve{Label: fmt.Sprintf("%s (AP = %.3f)", classes[k], ap), X: rec, Y: prec})
	}
	return linePlot(title, "Recall", "Precision", cs, false)
}

// CalibrationPlot draws the fraction of positives against the mean
// predicted probability in bins equal-width bins, per plotted class.
func CalibrationPlot(title string, y []int, P *mat.Dense, classes []string, pos int, bins int) (*plot.Plot, error) {
	var cs []Curve
	for _, k := range targets(classes, pos) {
		mp, fp, _ := metrics.Calibration(y, scores(P, k), k, bins)
		cs = append(cs, Curve{Label: classes[k], X: mp, Y: fp})
	}
	p, err := linePlot(title, "Mean predicted probability", "Fraction of positives", cs, true)
	if err != nil {
		return nil, err
	}
	for i, c := range cs {
		xys := make(plotter.XYs, len(c.X))
		for k := range c.X {
			xys[k] = plotter.XY{X: c.X[k], Y: c.Y[k]}
		}
		if len(xys) == 0 {
			continue
		}
		s, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, err
		}
		s.GlyphStyle = draw.GlyphStyle{Color: lineColor(i), Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}
		p.Add(s)
	}
	return p, nil
}

// confusionGrid is a confusion matrix as a heat map grid: column c is
// predicted class c, row r is true class K-1-r (true class 0 on top).
type confusionGrid struct{ v [][]float64 }

func (g confusionGrid) Dims() (c, r int)   { return len(g.v), len(g.v) }
func (g confusionGrid) Z(c, r int) float64 { return g.v[len(g.v)-1-r][c] }
func (g confusionGrid) X(c int) float64    { return float64(c) }
func (g confusionGrid) Y(r int) float64    { return float64(r) }

// ConfusionPlot draws the confusion matrix cm (rows = true class, columns
// = predicted) as a heat map with the counts written in the cells, or,
// with normalise, each row divided by its total (the rate of each
// prediction among the rows of a true class).
func ConfusionPlot(title string, cm [][]int, classes []string, normalise bool) (*plot.Plot, error) {
	k := len(cm)
	if k == 0 || len(classes) != k {
		return nil, fmt.Errorf("explain: %d×%d confusion matrix for %d classes", k, k, len(classes))
	}
	v := make([][]float64, k)
	for r := range cm {
		v[r] = make([]float64, k)
		total := 0
		for _, n := range cm[r] {
			total += n
		}
		for c, n := range cm[r] {
			v[r][c] = float64(n)
			if normalise {
				v[r][c] = 0
				if total > 0 {
					v[r][c] = float64(n) / float64(total)
				}
			}
		}
	}
	pal, err := brewer.GetPalette(brewer.TypeSequential, "Blues", 9)
	if err != nil {
		return nil, err
	}
	h := plotter.NewHeatMap(confusionGrid{v}, pal)
	if normalise {
		h.Min, h.Max = 0, 1
	} else if h.Max == h.Min {
		h.Max = h.Min + 1
	}
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, "Predicted class", "True class"
	p.Add(h)
	var lab plotter.XYLabels
	var styles []text.Style
	for r := range k {
		for c := range k {
			s := fmt.Sprint(cm[r][c])
			if normalise {
				s = fmt.Sprintf("%.2f", v[r][c])
			}
			lab.XYs = append(lab.XYs, plotter.XY{X: float64(c), Y: float64(k - 1 - r)})
			lab.Labels = append(lab.Labels, s)
			st := text.Style{Color: color.Black, Font: p.X.Tick.Label.Font, Handler: p.X.Tick.Label.Handler,
				XAlign: draw.XCenter, YAlign: draw.YCenter}
			if (v[r][c]-h.Min)/(h.Max-h.Min) > 0.6 {
				st.Color = color.White
			}
			st.Font.Size = vg.Points(11)
			styles = append(styles, st)
		}
	}
	labels, err := plotter.NewLabels(lab)
	if err != nil {
		return nil, err
	}
	labels.TextStyle = styles
	p.Add(labels)
	names := make([]string, k)
	copy(names, classes)
	p.NominalX(names...)
	rev := make([]string, k)
	for r := range k {
		rev[r] = classes[k-1-r]
	}
	p.NominalY(rev...)
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -0.5, float64(k)-0.5, -0.5, float64(k)-0.5
	return p, nil
}
