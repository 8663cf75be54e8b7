package preprocess

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goautoml/automl/dataset"
)

// IsMissingMarker reports whether a raw cell text stands for a missing value:
// after trimming white space, empty, "NA", "N/A", "NaN", "null" or "?"
// (letters in any case), the markers dataset recognises in files.
func IsMissingMarker(s string) bool {
	return dataset.IsMissingMarker(strings.TrimSpace(s))
}

// timeLayouts are the layouts TransformRow accepts for a datetime value, tried
// in order; a value without a zone is UTC, one with a zone is converted to UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
	"2006/01/02 15:04:05",
	"2006/01/02",
}

// TransformRow scores one record given as raw strings: get(name) returns the
// cell text of the input column name and whether the record has it. It writes
// the NumFeatures values, in Features order, to dst, which must have exactly
// that length. The values equal, bit for bit, the matching row of Transform on
// a frame holding the same record. It is safe for concurrent use and does not
// allocate unless it returns an error or reads a datetime in one of the
// slower layouts (a numeric zone offset or slashes).
//
// A value is missing when get reports it absent or when it is a missing marker
// (IsMissingMarker); missing values are imputed as in Transform. Present
// values are read as follows:
//
//   - numeric: strconv.ParseFloat of the trimmed text, which must be finite;
//     when the training cells used a decimal comma, "1,5" reads as 1.5;
//   - boolean: in any case, a text seen for the column in training or one of
//     true/false, t/f, yes/no, y/n, 1/0;
//   - datetime: "2006-01-02", optionally followed by T or a space and
//     "15:04", "15:04:05" or "15:04:05.000" and optionally Z (UTC), or
//     RFC 3339 with a zone offset (converted to UTC), or a layout that read
//     the column's training cells (ColumnState.Layouts, such as day-first
//     "02/01/2006"), or "2006/01/02" with optional " 15:04:05" (UTC);
//   - categorical: the trimmed text as given; a category unseen in training is
//     encoded as in Transform.
//
// A value that does not read as its column's kind is an error naming the
// column and the value; dst is then partly written.
func (p *Pipeline) TransformRow(get func(col string) (string, bool), dst []float64) error {
	if n := p.NumFeatures(); len(dst) != n {
		return fmt.Errorf("preprocess: transform row: dst has %d values, want %d", len(dst), n)
	}
	lookup := p.codes()
	off := 0
	for i := range p.Columns {
		st := &p.Columns[i]
		raw, ok := get(st.Name)
		missing := !ok || IsMissingMarker(raw)
		switch st.Kind {
		case dataset.Numeric:
			ps := st.Parts[0]
			v := ps.Fill
			if !missing {
				x, err := st.readNumber(raw)
				if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
					return fmt.Errorf("preprocess: column %q: %q is not a finite number", st.Name, raw)
				}
				v = x
			}
			dst[off] = (v - ps.Mean) / ps.Scale
			off++
		case dataset.Boolean:
			v := st.Parts[0].Fill
			if !missing {
				b, err := st.readBool(raw)
				if err != nil {
					return err
				}
				v = b
			}
			dst[off] = v
			off++
		case dataset.Datetime:
			var t float64
			if !missing {
				tm, err := parseTime(raw, st.Layouts)
				if err != nil {
					return fmt.Errorf("preprocess: column %q: %q is not a date or time (layouts such as 2006-01-02 or 2006-01-02T15:04:05Z07:00)", st.Name, raw)
				}
				t = float64(tm.Unix()) + float64(tm.Nanosecond())/1e9
			}
			writeDate(dst[off:off+len(dateParts)], st.Parts, t, missing)
			off += len(dateParts)
		case dataset.Categorical:
			if missing {
				raw = st.Fill
			} else {
				raw = strings.TrimSpace(raw)
			}
			c := p.code(i, lookup[i], raw)
			if p.Spec.Encoding == EncodeOrdinal {
				dst[off] = float64(c)
				off++
				continue
			}
			n := st.cardinality()
			clear(dst[off : off+n])
			if c >= 0 {
				dst[off+c] = 1
			}
			off += n
		}
	}
	return nil
}

// readNumber reads a present numeric cell; with DecimalComma a single comma
// and no dot is read as the decimal point.
func (st *ColumnState) readNumber(raw string) (float64, error) {
	s := strings.TrimSpace(raw)
	x, err := strconv.ParseFloat(s, 64)
	if err != nil && st.DecimalComma && strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		x, err = strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	}
	return x, err
}

// readBool reads a present boolean cell, ignoring case, without allocating.
func (st *ColumnState) readBool(raw string) (float64, error) {
	s := strings.TrimSpace(raw)
	for _, tok := range st.True {
		if strings.EqualFold(s, tok) {
			return 1, nil
		}
	}
	for _, tok := range st.False {
		if strings.EqualFold(s, tok) {
			return 0, nil
		}
	}
	for _, tok := range [...]string{"true", "t", "yes", "y", "1"} {
		if strings.EqualFold(s, tok) {
			return 1, nil
		}
	}
	for _, tok := range [...]string{"false", "f", "no", "n", "0"} {
		if strings.EqualFold(s, tok) {
			return 0, nil
		}
	}
	return 0, fmt.Errorf("preprocess: column %q: %q is not a boolean (want one of %s or true/false, yes/no, 1/0)", st.Name, raw, strings.Join(append(slices.Clone(st.True), st.False...), "/"))
}

// parseTime reads a date or time: the common ISO forms without a zone (or
// with Z) by hand, without allocating; anything else through the layouts
// learned in training, then timeLayouts.
func parseTime(raw string, learned []string) (time.Time, error) {
	s := strings.TrimSpace(raw)
	if t, ok := parseISO(s); ok {
		return t, nil
	}
	var err error
	for _, layout := range learned {
		var t time.Time
		if t, err = time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	for _, layout := range timeLayouts {
		var t time.Time
		if t, err = time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, err
}

// parseISO reads YYYY-MM-DD, optionally followed by T or a space and
// hh:mm[:ss[.fraction]], optionally ending in Z; the time is UTC. It reports
// false for anything else, including out-of-range fields.
func parseISO(s string) (time.Time, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || month < 1 || month > 12 || day < 1 || day > 31 {
		return time.Time{}, false
	}
	var hour, minute, sec, nsec int
	rest := s[10:]
	if rest != "" {
		if len(rest) < 6 || (rest[0] != 'T' && rest[0] != ' ') || rest[3] != ':' {
			return time.Time{}, false
		}
		var okh, okm bool
		hour, okh = digits(rest[1:3])
		minute, okm = digits(rest[4:6])
		if !okh || !okm || hour > 23 || minute > 59 {
			return time.Time{}, false
		}
		rest = rest[6:]
		if len(rest) >= 3 && rest[0] == ':' {
			var oks bool
			if sec, oks = digits(rest[1:3]); !oks || sec > 59 {
				return time.Time{}, false
			}
			rest = rest[3:]
			if len(rest) >= 2 && rest[0] == '.' {
				i, scale := 1, 100000000
				for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
					nsec += int(rest[i]-'0') * scale
					scale /= 10
				}
				if i == 1 {
					return time.Time{}, false
				}
				rest = rest[i:]
			}
		}
		if rest == "Z" {
			rest = ""
		}
		if rest != "" {
			return time.Time{}, false
		}
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day { // 2023-02-30 and the like
		return time.Time{}, false
	}
	return t, true
}

// digits parses a short run of ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
