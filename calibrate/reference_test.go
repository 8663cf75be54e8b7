package calibrate

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

type refCase struct {
	F            []float64 `json:"f"`
	Y            []int     `json:"y"`
	PlattSklearn []float64 `json:"platt_sklearn"`
	PlattTight   []float64 `json:"platt_tight"`
	IsoX         []float64 `json:"iso_x"`
	IsoY         []float64 `json:"iso_y"`
	Query        []float64 `json:"query"`
	IsoPred      []float64 `json:"iso_pred"`
}

func loadRef(t *testing.T) []refCase {
	t.Helper()
	b, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Cases []refCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r.Cases
}

func labels(y []int) []bool {
	out := make([]bool, len(y))
	for i, v := range y {
		out[i] = v == 1
	}
	return out
}

// TestSigmoidMatchesScikitLearn: values from sklearn.calibration's
// _sigmoid_calibration (fmin_bfgs, gtol 1e-5) and from the same objective
// minimised by scipy to gtol 1e-12 (testdata/make_reference.py).
func TestSigmoidMatchesScikitLearn(t *testing.T) {
	for i, c := range loadRef(t) {
		s := FitSigmoid(c.F, labels(c.Y), nil)
		if math.Abs(s.A-c.PlattTight[0]) > 1e-6 || math.Abs(s.B-c.PlattTight[1]) > 1e-6 {
			t.Errorf("case %d: A, B = %.10g, %.10g; scipy's tight optimum %.10g, %.10g", i, s.A, s.B, c.PlattTight[0], c.PlattTight[1])
		}
		if math.Abs(s.A-c.PlattSklearn[0]) > 1e-3*max(1, math.Abs(s.A)) || math.Abs(s.B-c.PlattSklearn[1]) > 1e-3*max(1, math.Abs(s.B)) {
			t.Errorf("case %d: A, B = %.6g, %.6g; scikit-learn %.6g, %.6g", i, s.A, s.B, c.PlattSklearn[0], c.PlattSklearn[1])
		}
	}
}

// TestIsotonicMatchesScikitLearn: knots and predictions of
// IsotonicRegression(out_of_bounds="clip") (testdata/make_reference.py).
func TestIsotonicMatchesScikitLearn(t *testing.T) {
	for i, c := range loadRef(t) {
		m := FitIsotonic(c.F, labels(c.Y), nil)
		if len(m.X) != len(c.IsoX) {
			t.Fatalf("case %d: %d knots, scikit-learn %d", i, len(m.X), len(c.IsoX))
		}
		for k := range m.X {
			if m.X[k] != c.IsoX[k] || math.Abs(m.Y[k]-c.IsoY[k]) > 1e-12 {
				t.Fatalf("case %d knot %d: (%v, %v), scikit-learn (%v, %v)", i, k, m.X[k], m.Y[k], c.IsoX[k], c.IsoY[k])
			}
		}
		for k, q := range c.Query {
			if got := m.At(q); math.Abs(got-c.IsoPred[k]) > 1e-12 {
				t.Fatalf("case %d: At(%v) = %v, scikit-learn %v", i, q, got, c.IsoPred[k])
			}
		}
	}
}

// TestTemperatureMatchesScipy: the temperature minimising the clipped log
// loss, as scipy's bounded scalar search finds it to 1e-12 in 1/T, and the
// tempered probabilities (testdata/make_reference.py).
func TestTemperatureMatchesScipy(t *testing.T) {
	b, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Cases []struct {
			P           []float64 `json:"p"`
			Y           []int     `json:"y"`
			Classes     int       `json:"classes"`
			Temperature float64   `json:"temperature"`
			Tempered    []float64 `json:"tempered"`
		} `json:"temperature_cases"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Cases) != 4 {
		t.Fatalf("%d temperature cases, want 4", len(r.Cases))
	}
	for i, c := range r.Cases {
		got := FitTemperature(c.P, c.Y, c.Classes)
		if math.Abs(got-c.Temperature) > 1e-6*c.Temperature {
			t.Errorf("case %d: T = %.10g, scipy %.10g", i, got, c.Temperature)
		}
		cal, err := Fit(Temperature, c.P, c.Y, c.Classes, -1, nil)
		if err != nil {
			t.Fatal(err)
		}
		q := cal.Apply(c.P)
		for j := range q {
			// The reference rows are tempered at scipy's T: the
			// difference in T moves them by at most about 1e-6 of it.
			if math.Abs(q[j]-c.Tempered[j]) > 1e-6 {
				t.Fatalf("case %d value %d: %v, numpy %v", i, j, q[j], c.Tempered[j])
			}
		}
		// At the same T the arithmetic agrees to rounding.
		for row := 0; row < len(c.P); row += c.Classes {
			x := append([]float64(nil), c.P[row:row+c.Classes]...)
			Temper(x, c.Temperature)
			for j, v := range x {
				if math.Abs(v-c.Tempered[row+j]) > 1e-12 {
					t.Fatalf("case %d row %d: Temper gives %v, numpy %v", i, row/c.Classes, v, c.Tempered[row+j])
				}
			}
		}
	}
}
