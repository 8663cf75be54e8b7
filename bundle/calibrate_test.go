package bundle

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// Calibration applies Platt and isotonic calibrators as scikit-learn's
// CalibratedClassifierCV.predict_proba does, and temperature scaling as
// numpy's softmax of the clipped log-probabilities (reference values from
// testdata/calibration.py, sklearn 1.2.1).
func TestCalibrationMatchesSklearn(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "calibration.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name        string
		Calibration Calibration
		Proba       [][]float64
		Calibrated  [][]float64
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) != 5 {
		t.Fatalf("%d cases, want 5", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			k := len(c.Proba[0])
			if err := c.Calibration.check(k); err != nil {
				t.Fatal(err)
			}
			P := mat.NewDense(len(c.Proba), k, nil)
			for i, row := range c.Proba {
				P.SetRow(i, row)
			}
			c.Calibration.Apply(P)
			worst := 0.0
			for i, row := range c.Calibrated {
				for j, want := range row {
					worst = math.Max(worst, math.Abs(P.At(i, j)-want))
				}
			}
			if worst > 1e-12 {
				t.Fatalf("largest difference from sklearn %g", worst)
			}
		})
	}
}

func TestCalibrationChecks(t *testing.T) {
	for _, c := range []struct {
		name    string
		cal     Calibration
		classes int
		want    string
	}{
		{"version", Calibration{Version: 2, Method: Platt, Maps: []Map{{Class: 1}}}, 2, "version 2"},
		{"method", Calibration{Version: 1, Method: "beta", Maps: []Map{{Class: 1}}}, 2, `"beta"`},
		{"maps", Calibration{Version: 1, Method: Platt, Maps: []Map{{Class: 0}, {Class: 1}}}, 2, "2 maps"},
		{"class", Calibration{Version: 1, Method: Platt, Maps: []Map{{Class: 0}, {Class: 0}, {Class: 3}}}, 3, "class 0 repeated"},
		{"isotonic order", Calibration{Version: 1, Method: Isotonic, Maps: []Map{{Class: 1, X: []float64{0.5, 0.2}, Y: []float64{0, 1}}}}, 2, "increase"},
		{"isotonic points", Calibration{Version: 1, Method: Isotonic, Maps: []Map{{Class: 1, X: []float64{0.5}}}}, 2, "1 x and 0 y"},
		{"platt nan", Calibration{Version: 1, Method: Platt, Maps: []Map{{Class: 1, A: math.NaN()}}}, 2, "finite"},
		{"temperature zero", Calibration{Version: 1, Method: Temperature}, 3, "positive finite temperature (got 0)"},
		{"temperature inf", Calibration{Version: 1, Method: Temperature, Temperature: math.Inf(1)}, 3, "positive finite"},
		{"temperature maps", Calibration{Version: 1, Method: Temperature, Temperature: 2, Maps: []Map{{Class: 0}}}, 3, "no maps"},
	} {
		if err := c.cal.check(c.classes); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
	for _, c := range []struct {
		th       Threshold
		classes  int
		positive int
		want     string
	}{
		{Threshold{Version: 1, Value: 1.5}, 2, 1, "1.5"},
		{Threshold{Version: 1, Value: 0.4}, 3, -1, "binary"},
		{Threshold{Version: 7, Value: 0.4}, 2, 1, "version 7"},
	} {
		if err := c.th.check(c.classes, c.positive); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("threshold %+v: err = %v, want %q", c.th, err, c.want)
		}
	}
}

// Label follows the threshold on the positive class (>=, as sklearn's
// FixedThresholdClassifier), else the most probable class, first on ties.
func TestLabel(t *testing.T) {
	m := &Model{Bundle: Bundle{Classes: []string{"bad", "good"}, Positive: 0}}
	if got := m.Label([]float64{0.5, 0.5}); got != 0 {
		t.Fatalf("tie: %d", got)
	}
	m.Threshold = &Threshold{Version: 1, Value: 0.3}
	for _, c := range []struct {
		p    []float64
		want int
	}{{[]float64{0.3, 0.7}, 0}, {[]float64{0.29, 0.71}, 1}, {[]float64{0.9, 0.1}, 0}} {
		if got := m.Label(c.p); got != c.want {
			t.Errorf("Label(%v) = %d, want %d", c.p, got, c.want)
		}
	}
}
