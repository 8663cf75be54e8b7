package bundle

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/calibrate"
)

// CalibrationVersion and ThresholdVersion are the versions of the optional
// slots this code reads and writes.
const (
	CalibrationVersion = 1
	ThresholdVersion   = 1
)

// Calibration methods.
const (
	Platt    = "platt"
	Isotonic = "isotonic"
	// Prior only undoes the prior shift of class-weighted training (Prior
	// weights, no maps).
	Prior = "prior"
	// Temperature divides a row's log-probabilities by Temperature and
	// takes the softmax (no maps): calibrate.Temper.
	Temperature = "temperature"
)

// Calibration maps a bundle's combined probabilities to calibrated ones, as
// scikit-learn's CalibratedClassifierCV applies its fitted calibrators
// (method "sigmoid" or "isotonic") to predict_proba:
//
//   - binary target: one map, for the positive class; the other class gets
//     1 - p;
//   - multiclass: one map per class (one-vs-rest), then each row is divided
//     by its sum (uniform 1/k when the sum is 0);
//   - temperature (multiclass, no maps): p'_j ∝ exp(log(max(p_j, 1e-15)) / T).
//
// Values in (1, 1+1e-5] are then set to 1, as scikit-learn does.
type Calibration struct {
	Version int    `json:"version"`
	Method  string `json:"method"` // Platt, Isotonic, Temperature or Prior
	// Prior, when set, are the class weights training used: each row is
	// first divided by them and renormalised (calibrate.Reweight), undoing
	// the prior shift they cause; the maps then apply to the result.
	Prior []float64 `json:"prior_weights,omitempty"`
	Maps  []Map     `json:"maps,omitempty"`
	// Temperature is method Temperature's T, a positive number.
	Temperature float64 `json:"temperature,omitempty"`
}

// Map is the calibrator of one class. Platt: p' = 1 / (1 + exp(A·p + B))
// (scikit-learn's _SigmoidCalibration: expit(-(a·T + b))). Isotonic: p' is
// the linear interpolation of the points (X, Y), X strictly increasing,
// clipped to the end points (IsotonicRegression's X_thresholds_ and
// y_thresholds_ with out_of_bounds="clip").
type Map struct {
	Class int       `json:"class"`
	A     float64   `json:"a,omitempty"`
	B     float64   `json:"b,omitempty"`
	X     []float64 `json:"x,omitempty"`
	Y     []float64 `json:"y,omitempty"`
}

// Threshold decides the label of a binary target: the positive class when
// its (calibrated) probability is at least Value, as scikit-learn's
// FixedThresholdClassifier does; the other class otherwise.
type Threshold struct {
	Version int     `json:"version"`
	Value   float64 `json:"value"`
	// Metric names what the threshold was chosen to maximise (informative).
	Metric string `json:"metric,omitempty"`
}

func (c *Calibration) check(classes int) error {
	if c.Version != CalibrationVersion {
		return fmt.Errorf("calibration version %d, this program reads version %d", c.Version, CalibrationVersion)
	}
	if c.Prior != nil {
		if len(c.Prior) != classes {
			return fmt.Errorf("calibration: %d prior weights for %d classes", len(c.Prior), classes)
		}
		for _, w := range c.Prior {
			if !(w > 0) || math.IsInf(w, 0) {
				return fmt.Errorf("calibration: prior weight %v, want a positive number", w)
			}
		}
	}
	want := classes
	if classes == 2 {
		want = 1
	}
	if c.Method == Prior {
		if c.Prior == nil || len(c.Maps) != 0 {
			return fmt.Errorf("calibration: method prior needs prior weights and no maps")
		}
		return nil
	}
	if c.Method == Temperature {
		if len(c.Maps) != 0 || !(c.Temperature > 0) || math.IsInf(c.Temperature, 0) {
			return fmt.Errorf("calibration: method temperature needs a positive finite temperature (got %v) and no maps", c.Temperature)
		}
		return nil
	}
	if len(c.Maps) != want {
		return fmt.Errorf("calibration: %d maps for %d classes, want %d", len(c.Maps), classes, want)
	}
	seen := map[int]bool{}
	for i, m := range c.Maps {
		if m.Class < 0 || m.Class >= classes || seen[m.Class] {
			return fmt.Errorf("calibration: map %d: class %d repeated or not in 0..%d", i, m.Class, classes-1)
		}
		seen[m.Class] = true
		switch c.Method {
		case Platt:
			if math.IsNaN(m.A) || math.IsInf(m.A, 0) || math.IsNaN(m.B) || math.IsInf(m.B, 0) {
				return fmt.Errorf("calibration: map %d: a = %v, b = %v, want finite numbers", i, m.A, m.B)
			}
		case Isotonic:
			if len(m.X) == 0 || len(m.X) != len(m.Y) {
				return fmt.Errorf("calibration: map %d: %d x and %d y points, want the same positive number", i, len(m.X), len(m.Y))
			}
			for j := range m.X {
				if math.IsNaN(m.X[j]) || math.IsNaN(m.Y[j]) || j > 0 && !(m.X[j] > m.X[j-1]) {
					return fmt.Errorf("calibration: map %d: point %d: x must increase strictly and no value may be NaN", i, j)
				}
			}
		default:
			return fmt.Errorf("calibration method %q, want %q, %q, %q or %q", c.Method, Platt, Isotonic, Temperature, Prior)
		}
	}
	return nil
}

func (t *Threshold) check(classes, positive int) error {
	if t.Version != ThresholdVersion {
		return fmt.Errorf("threshold version %d, this program reads version %d", t.Version, ThresholdVersion)
	}
	if classes != 2 || positive < 0 || positive > 1 {
		return fmt.Errorf("a decision threshold needs a binary target with a positive class")
	}
	if math.IsNaN(t.Value) || t.Value < 0 || t.Value > 1 {
		return fmt.Errorf("threshold %v, want a probability in [0, 1]", t.Value)
	}
	return nil
}

// apply maps one uncalibrated probability, with package calibrate's
// arithmetic (the trials' recorded metrics are computed with it).
func (m *Map) apply(method string, p float64) float64 {
	if method == Platt {
		return calibrate.Sigmoid{A: m.A, B: m.B}.At(p)
	}
	return calibrate.Monotone{X: m.X, Y: m.Y}.At(p)
}

// Apply calibrates P (rows × classes) in place.
func (c *Calibration) Apply(P *mat.Dense) {
	r, k := P.Dims()
	for i := range r {
		row := P.RawRowView(i)
		if c.Prior != nil {
			calibrate.Reweight(row, c.Prior)
		}
		if c.Method == Prior {
			continue
		}
		if c.Method == Temperature {
			calibrate.Temper(row, c.Temperature)
		} else if k == 2 {
			m := &c.Maps[0]
			p := m.apply(c.Method, row[m.Class])
			row[m.Class], row[1-m.Class] = p, 1-p
		} else {
			cal := make([]float64, k)
			sum := 0.0
			for j := range c.Maps {
				m := &c.Maps[j]
				cal[m.Class] = m.apply(c.Method, row[m.Class])
				sum += cal[m.Class]
			}
			for j := range k {
				if sum != 0 {
					row[j] = cal[j] / sum
				} else {
					row[j] = 1 / float64(k)
				}
			}
		}
		for j, v := range row {
			if v > 1 && v <= 1+1e-5 {
				row[j] = 1
			}
		}
	}
}

// FromCalibrator is the bundle form of a calibrator package calibrate
// fitted (nil for no calibration).
func FromCalibrator(c *calibrate.Calibrator) *Calibration {
	if c == nil || c.Method == calibrate.None || c.Method == "" {
		return nil
	}
	out := &Calibration{Version: CalibrationVersion, Method: c.Method, Prior: c.ClassWeights}
	switch c.Method {
	case calibrate.Platt:
		for j, s := range c.Sigmoids {
			out.Maps = append(out.Maps, Map{Class: mapClass(c, j), A: s.A, B: s.B})
		}
	case calibrate.Isotonic:
		for j, s := range c.Steps {
			out.Maps = append(out.Maps, Map{Class: mapClass(c, j), X: s.X, Y: s.Y})
		}
	case calibrate.Temperature:
		out.Temperature = c.Temperature
	}
	return out
}

// mapClass is the class of a calibrator's j-th map: the positive class of
// a binary target, class j otherwise.
func mapClass(c *calibrate.Calibrator, j int) int {
	if c.Classes == 2 {
		return c.Positive
	}
	return j
}
