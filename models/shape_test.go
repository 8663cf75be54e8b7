package models

import (
	"math"
	"testing"
)

// TestShapeColumns: a column counts its distinct values (at most 255, one
// more for missing values) as bins, and the share of rows a histogram pass
// visits: all of them, or those outside a most frequent value holding at
// least 60 % of the rows.
func TestShapeColumns(t *testing.T) {
	var s Shape
	if s.MeanBins(0) != 255 || s.ActiveShare() != 1 {
		t.Fatalf("unknown columns: %v bins, %v active, want 255 and 1", s.MeanBins(0), s.ActiveShare())
	}
	s = Shape{Rows: 1000, Features: 3}
	s.AddColumn(5000, 3, 0, 1000)  // continuous: 255 bins, every row
	s.AddColumn(2, 950, 0, 1000)   // a rare indicator: 2 bins, 5 % of rows
	s.AddColumn(10, 500, 20, 1000) // 10 categories and missing values: 11 bins, every row
	if s.Bins != 255+2+11 {
		t.Errorf("bins %d, want 268", s.Bins)
	}
	if math.Abs(s.Active-2.05) > 1e-12 {
		t.Errorf("active %v, want 2.05", s.Active)
	}
	if got := s.MeanBins(0); math.Abs(got-268.0/3) > 1e-12 {
		t.Errorf("mean bins %v, want %v", got, 268.0/3)
	}
	if got := s.MeanBins(63); got != 63 {
		t.Errorf("mean bins capped at 63: %v", got)
	}
	if got := s.ActiveShare(); math.Abs(got-2.05/3) > 1e-12 {
		t.Errorf("active share %v, want %v", got, 2.05/3)
	}
}
