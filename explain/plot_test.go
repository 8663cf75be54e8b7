package explain

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/cmpimg"
	"gonum.org/v1/plot/vg"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/metrics"
	"github.com/goautoml/automl/models/gbdt"
	"github.com/goautoml/automl/models/logistic"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata/golden")

func refCase(t *testing.T, name string) ([]int, *mat.Dense) {
	raw, err := os.ReadFile("testdata/curves.json")
	if err != nil {
		t.Fatal(err)
	}
	var refs map[string]curveRef
	if err := json.Unmarshal(raw, &refs); err != nil {
		t.Fatal(err)
	}
	ref := refs[name]
	P := mat.NewDense(len(ref.P), len(ref.P[0]), nil)
	for i, r := range ref.P {
		P.SetRow(i, r)
	}
	return ref.Y, P
}

// fakeTrials is a search history with two families.
func fakeTrials() []automl.Trial {
	var ts []automl.Trial
	for i := range 12 {
		fam := gbdt.Name
		if i%3 == 0 {
			fam = logistic.Name
		}
		tr := automl.Trial{Status: "ok", Val: map[string]float64{"roc_auc": 0.6 + 0.3*math.Sin(float64(i*i))*math.Sin(float64(i*i))}}
		tr.ID, tr.Model.Family = i, fam
		tr.Timing = automl.Timing{Started: time.Unix(0, 0), OffsetSeconds: float64(i) * 1.5}
		ts = append(ts, tr)
	}
	ts[4].Status, ts[4].Val = "failed", nil
	return ts
}

// checkGolden compares a plot's PNG with testdata/golden/<name>.png (with
// a small tolerance) and checks the SVG names its fonts without embedding
// them (issue 17, finding 10: 22 MB of fonts for five trials' plots).
func checkGolden(t *testing.T, name string, p *plot.Plot, h vg.Length, texts ...string) {
	t.Helper()
	pngData, svgData, err := Render(p, Size, h)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "golden", name+".png")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, pngData, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update to create it)", err)
	}
	ok, err := cmpimg.EqualApprox("png", pngData, want, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		got := filepath.Join(t.TempDir(), name+".png")
		os.WriteFile(got, pngData, 0o644)
		t.Errorf("%s differs from %s (got %s)", name, path, got)
	}
	if bytes.Contains(svgData, []byte("@font-face")) || !bytes.Contains(svgData, []byte("font-family:Liberation")) {
		t.Errorf("%s.svg embeds its fonts, or does not name them", name)
	}
	if len(svgData) > 400<<10 { // the beeswarm, with 200 rows of points, is about 315 KB
		t.Errorf("%s.svg is %d KB", name, len(svgData)>>10)
	}
	for _, s := range texts {
		if !bytes.Contains(svgData, []byte(escapeXML(s))) {
			t.Errorf("%s.svg lacks the text %q", name, s)
		}
	}
}

func escapeXML(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func TestGoldenPlots(t *testing.T) {
	y, P := refCase(t, "binary")
	bin := []string{"no", "yes"}
	ym, Pm := refCase(t, "multiclass")
	three := []string{"setosa", "versicolor", "virginica"}
	auc := metrics.ROCAUC(y, mat.Col(nil, 1, P), 1)
	must := func(p *plot.Plot, err error) *plot.Plot {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	checkGolden(t, "roc_binary", must(ROCPlot("ROC curve (test)", y, P, bin, 1)), Size, fmt.Sprintf("AUC = %.3f", auc))
	checkGolden(t, "roc_multiclass", must(ROCPlot("ROC curve (test)", ym, Pm, three, -1)), Size, "setosa (AUC", "virginica (AUC")
	checkGolden(t, "pr_binary", must(PRPlot("Precision-recall (test)", y, P, bin, 1)), Size, "yes (AP = ")
	checkGolden(t, "calibration_binary", must(CalibrationPlot("Calibration (test)", y, P, bin, 1, 10)), Size, "Fraction of positives")
	cm := metrics.Confusion(ym, metrics.Argmax(Pm), 3)
	checkGolden(t, "confusion_counts", must(ConfusionPlot("Confusion (test)", cm, three, false)), Size, "versicolor")
	checkGolden(t, "confusion_rates", must(ConfusionPlot("Confusion rates (test)", cm, three, true)), Size, "0.")
	checkGolden(t, "score_over_time", must(ScoreOverTime(fakeTrials(), "roc_auc")), Size, "best so far")
	checkGolden(t, "score_by_family", must(ScoreByFamily(fakeTrials(), "roc_auc")), Size, "gbdt", "logistic")

	// SHAP plots of a made-up explanation: 25 columns, 150 rows.
	rng := rand.New(rand.NewPCG(1, 1))
	names := make([]string, 25)
	values := make([][]float64, 25)
	phi := mat.NewDense(150, 25, nil)
	for j := range names {
		names[j] = "column_" + string(rune('a'+j))
		values[j] = make([]float64, 150)
		for i := range 150 {
			v := rng.NormFloat64()
			values[j][i] = v
			if j%5 == 4 {
				values[j][i] = math.NaN() // a categorical column: grey
			}
			phi.Set(i, j, v*float64(25-j)/25+0.1*rng.NormFloat64())
		}
	}
	imp := MeanAbs([]*mat.Dense{phi})
	bar, h, err := SHAPBar("Mean |SHAP value| (top 20)", names, imp, TopN)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "shap_bar", bar, h, "column_a", "column_t")
	bee, h, err := Beeswarm("SHAP summary", names, phi, values, TopN)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "shap_beeswarm", bee, h, "column_a", "SHAP value")
}

// TestSavePlots: Save writes the files its format names, and only those.
func TestSavePlots(t *testing.T) {
	p, err := ScoreOverTime(fakeTrials(), "roc_auc")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		f    Plots
		want []string
	}{
		{"", []string{"p.png"}},
		{PlotsPNG, []string{"p.png"}},
		{PlotsSVG, []string{"p.svg"}},
		{PlotsBoth, []string{"p.png", "p.svg"}},
	} {
		dir := t.TempDir()
		files, err := Save(p, Size, Size, dir, "p", c.f)
		if err != nil {
			t.Fatal(err)
		}
		on, _ := filepath.Glob(filepath.Join(dir, "p.*"))
		for i := range on {
			on[i] = filepath.Base(on[i])
		}
		if fmt.Sprint(files) != fmt.Sprint(c.want) || fmt.Sprint(on) != fmt.Sprint(c.want) {
			t.Errorf("plots %q: returned %v, on disk %v, want %v", c.f, files, on, c.want)
		}
	}
	if _, err := Save(p, Size, Size, t.TempDir(), "p", "gif"); err == nil || !strings.Contains(err.Error(), "png, svg or both") {
		t.Errorf("plots gif: %v", err)
	}
}
