package models

// Cost is a family's estimate of what one trial of params p costs on data
// of shape s (s.Rows training rows): about the seconds its fit and scoring
// take on one core of this project's reference machine (a 2-core cloud VM
// of 2026, where the constants were measured on a 1,000,000 × 20 table's
// samples). It is a rough, deterministic figure made from the params and
// the shape alone, never from a clock, so a search that schedules by it
// still proposes the same trials for the same seed on every machine; it is
// used to compare configurations and families, not to promise a time.
type Cost func(p Params, s Shape) float64

// trialOverhead is the part of every trial that does not grow with the
// model: preprocessing, scoring the validation rows, the bundle, the
// record (0.07 to 0.3 s for the cheapest trials on 10,000-row samples).
const trialOverhead = 0.1

// EstimateCost is spec's estimated cost on data of shape s: its family's
// Cost when it has one, else a linear pass over the cells. It is at least
// trialOverhead, and finite.
func EstimateCost(spec Spec, s Shape) float64 {
	c := float64(max(1, s.Rows)) * float64(max(1, s.Features)) * 50e-9
	if d, ok := Lookup(spec.Family); ok && d.Cost != nil && spec.Params != nil {
		c = d.Cost(spec.Params, s)
	}
	if !(c >= 0) || c > 1e12 { // NaN or absurd: a family's bug must not stall a search
		c = 1e12
	}
	return trialOverhead + c
}
