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
	s = strings.TrimSpace(s)
	switch len(s) {
	case 0:
		return true
	case 1:
		return s == "?"
	case 2:
		return strings.EqualFold(s, "na")
	case 3:
		return strings.EqualFold(s, "n/a") || strings.EqualFold(s, "nan")
	case 4:
		return strings.EqualFold(s, "null")
	}
	return false
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
// the NumFeatures values (in Features order) to dst, which must have exactly
// that length, equal to the matching row of Transform on a frame holding the
// same record, and allocates nothing.
//
// A value is missing when get reports it absent or when it is a missing marker
// (IsMissingMarker); missing values are imputed as in Transform. Present values
// are read as: numeric, strconv.ParseFloat of the trimmed text (finite);
// boolean, a text seen for the column in training or one of true/false,
// t/f, yes/no, y/n, 1/0 in any case; datetime, RFC 3339 or "2006-01-02",
// "2006-01-02 15:04:05" (T or space, seconds optional) or "2006/01/02" with
// optional " 15:04:05", without a zone meaning UTC;
// categorical, the text exactly as given (an unseen category is encoded as in
// Transform). A value that does not read as its column's kind is an error
// naming the column and the value; dst is then left partly written.
func (p *Pipeline) TransformRow(get func(col string) (string, bool), dst []float64) error {
	if len(dst) != len(p.features) {
		return fmt.Errorf("preprocess: transform row: dst has %d values, want %d", len(dst), len(p.features))
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
				x, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
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
				tm, err := parseTime(raw)
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

// readBool reads a present boolean cell.
func (st *ColumnState) readBool(raw string) (float64, error) {
	s := strings.ToLower(strings.TrimSpace(raw))
	if _, ok := slices.BinarySearch(st.True, s); ok {
		return 1, nil
	}
	if _, ok := slices.BinarySearch(st.False, s); ok {
		return 0, nil
	}
	switch s {
	case "true", "t", "yes", "y", "1":
		return 1, nil
	case "false", "f", "no", "n", "0":
		return 0, nil
	}
	return 0, fmt.Errorf("preprocess: column %q: %q is not a boolean (want one of %s or true/false, yes/no, 1/0)", st.Name, raw, strings.Join(append(slices.Clone(st.True), st.False...), "/"))
}

func parseTime(raw string) (time.Time, error) {
	s := strings.TrimSpace(raw)
	var err error
	for _, layout := range timeLayouts {
		var t time.Time
		if t, err = time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, err
}
