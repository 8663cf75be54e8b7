package preprocess

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string // RFC 3339 in UTC; "" = error
	}{
		{"2024-02-29", "2024-02-29T00:00:00Z"},
		{" 2024-02-29 13:45 ", "2024-02-29T13:45:00Z"},
		{"2024-02-29T13:45:07", "2024-02-29T13:45:07Z"},
		{"2024-02-29T13:45:07.25Z", "2024-02-29T13:45:07.25Z"},
		{"2024-02-29T13:45:07+02:00", "2024-02-29T11:45:07Z"},
		{"2024/02/29 13:45:07", "2024-02-29T13:45:07Z"},
		{"2023-02-29", ""},
		{"2024-13-01", ""},
		{"2024-02-29T24:00", ""},
		{"2024-02-29T13", ""},
		{"2024-02-29X", ""},
		{"29.02.2024", ""},
	} {
		got, err := parseTime(tt.in, nil)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("%q: got %v, want an error", tt.in, got)
		case tt.want != "" && err != nil:
			t.Errorf("%q: %v", tt.in, err)
		case tt.want != "" && got.Format(time.RFC3339Nano) != tt.want:
			t.Errorf("%q: %s, want %s", tt.in, got.Format(time.RFC3339Nano), tt.want)
		}
	}
}

// FuzzParseISO checks the hand-written ISO reader against time.Parse.
func FuzzParseISO(f *testing.F) {
	for _, s := range []string{"2024-02-29", "2024-02-29 13:45", "2024-02-29T13:45:07.123Z", "2023-02-30", "0000-01-01T00:00:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseISO(s)
		if !ok {
			return
		}
		norm := s
		if len(norm) > 10 {
			norm = norm[:10] + "T" + norm[11:]
			if !strings.HasSuffix(norm, "Z") {
				norm += "Z"
			}
		}
		var want time.Time
		var err error
		for _, layout := range []string{"2006-01-02", "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05Z07:00"} {
			if want, err = time.Parse(layout, norm); err == nil {
				break
			}
		}
		if err != nil {
			t.Fatalf("parseISO accepted %q (%v), time.Parse rejects %q: %v", s, got, norm, err)
		}
		if !got.Equal(want) {
			t.Fatalf("%q: parseISO %v, time.Parse %v", s, got, want)
		}
	})
}

// FuzzTransformRow feeds arbitrary cell texts to the scoring path: it must
// return an error or finite values, never panic.
func FuzzTransformRow(f *testing.F) {
	f.Add("2.5", "b", "yes", "2024-02-29 13:45:00")
	f.Add("NA", "", "?", "2024/02/29")
	f.Add("1e400", "zz", "TRUE", "2024-02-29T13:45:07.5+05:30")
	f.Fuzz(func(t *testing.T, num, cat, flag, when string) {
		frame := mixedFrame(t)
		spec := mixedSpec
		spec.Scale = true
		p, err := spec.Fit(frame, seq(8))
		if err != nil {
			t.Fatal(err)
		}
		rec := map[string]string{"num": num, "cat": cat, "flag": flag, "when": when}
		dst := make([]float64, p.NumFeatures())
		if err := p.TransformRow(func(c string) (string, bool) { v, ok := rec[c]; return v, ok }, dst); err != nil {
			return
		}
		for j, v := range dst {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%q: feature %d is %v", rec, j, v)
			}
		}
	})
}
