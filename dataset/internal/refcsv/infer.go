package refcsv

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Thresholds of type inference (documented in doc.go).
const (
	minRowsForUnnamedID = 20   // a unique column without an ID-like name needs this many rows
	textMinDistinctFrac = 0.5  // text: at least this share of values distinct,
	textMinMeanLen      = 20   // with a mean length of at least this many bytes,
	textMinSpaceFrac    = 0.5  // and at least this share containing a space
	fewDistinctNumeric  = 10   // integer-valued numeric columns with <= this many values get an alert
	numbersAsStrings    = 0.80 // categorical columns with >= this share of numbers get an alert
)

// IsMissingMarker reports whether a trimmed cell holds a missing marker:
// empty, "?", or NA, N/A, NaN, null in any letter case.
func IsMissingMarker(s string) bool {
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

// Number shapes recognised by numShape.
const (
	notNumber = iota
	intNumber
	dotNumber   // has a decimal point or an exponent
	commaNumber // decimal comma: digits,digits
)

// numShape checks s against [+-]digits[sep digits][e[+-]digits] where sep is
// '.' or, when comma is set, ','. Thousands separators, "Inf", hex and
// underscores are not numbers.
func numShape(s string, comma bool) int {
	i, n := 0, len(s)
	if n > 0 && (s[0] == '+' || s[0] == '-') {
		i++
	}
	digits, shape := 0, intNumber
	for i < n && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < n && (s[i] == '.' || (comma && s[i] == ',')) {
		shape = dotNumber
		if s[i] == ',' {
			shape = commaNumber
		}
		i++
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return notNumber
	}
	if i < n && (s[i] == 'e' || s[i] == 'E') {
		if shape == commaNumber {
			return notNumber
		}
		shape = dotNumber
		i++
		if i < n && (s[i] == '+' || s[i] == '-') {
			i++
		}
		ed := 0
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
			ed++
		}
		if ed == 0 {
			return notNumber
		}
	}
	if i != n {
		return notNumber
	}
	return shape
}

// parseNumber parses a trimmed cell; comma allows a decimal comma.
func parseNumber(s string, comma bool) (float64, int, bool) {
	shape := numShape(s, comma)
	if shape == notNumber {
		return 0, notNumber, false
	}
	if shape == commaNumber {
		s = strings.Replace(s, ",", ".", 1)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, notNumber, false
	}
	return v, shape, true
}

// boolWord maps the boolean spellings to (pair, value); pair tells which
// spelling family the word belongs to, so that a column must use one family.
func boolWord(s string) (pair int, v bool, ok bool) {
	if len(s) > 5 {
		return 0, false, false
	}
	switch strings.ToLower(s) {
	case "true":
		return 1, true, true
	case "false":
		return 1, false, true
	case "yes":
		return 2, true, true
	case "no":
		return 2, false, true
	case "t":
		return 3, true, true
	case "f":
		return 3, false, true
	case "y":
		return 4, true, true
	case "n":
		return 4, false, true
	}
	return 0, false, false
}

// dateGroups are the datetime families tried, in order. A column is a
// datetime when every value parses in one family; day-first comes before
// month-first, so ambiguous columns (all days <= 12) read day-first.
var dateGroups = [][]string{
	{"2006-01-02", "2006-01-02 15:04:05", "2006-01-02T15:04:05", time.RFC3339, "2006-01-02 15:04",
		"2006-01-02T15:04", "2006-01-02 15:04:05Z07:00", "2006/01/02", "2006/01/02 15:04:05", "2006/01/02 15:04"},
	{"2/1/2006", "2/1/2006 15:04:05", "2/1/2006 15:04", "2.1.2006", "2.1.2006 15:04:05", "2.1.2006 15:04"},
	{"1/2/2006", "1/2/2006 15:04:05", "1/2/2006 15:04"},
	{"2-Jan-2006", "2 Jan 2006", "Jan 2, 2006", "2-Jan-2006 15:04:05", "2 January 2006", "January 2, 2006"},
}

// parseDate parses s with the layouts of group g, starting with the layout
// that worked last (*hint).
func parseDate(g int, s string, hint *int) (float64, bool) {
	if len(s) < 6 || len(s) > 40 {
		return 0, false
	}
	layouts := dateGroups[g]
	for k := range layouts {
		i := (*hint + k) % len(layouts)
		t, err := time.Parse(layouts[i], s)
		if err == nil {
			*hint = i
			return float64(t.Unix()) + float64(t.Nanosecond())/1e9, true
		}
	}
	return 0, false
}

// dateColumn returns Unix seconds for every row when all present values
// parse in one date family.
func dateColumn(c *Column) ([]float64, bool) {
	first := firstPresent(c)
groups:
	for g := range dateGroups {
		hint := 0
		if first >= 0 {
			if _, ok := parseDate(g, c.Str[first], &hint); !ok {
				continue
			}
		}
		num := make([]float64, len(c.Str))
		for i, s := range c.Str {
			if c.Missing[i] {
				num[i] = math.NaN()
				continue
			}
			v, ok := parseDate(g, s, &hint)
			if !ok {
				continue groups
			}
			num[i] = v
		}
		return num, true
	}
	return nil, false
}

// IDName reports whether a column name reads like an identifier: "id",
// "*_id", "* id", "*-id", or camel case ending in Id/ID ("PassengerId",
// "customerID").
func IDName(name string) bool {
	l := strings.ToLower(name)
	if l == "id" || l == "uuid" || l == "guid" {
		return true
	}
	for _, suf := range []string{"_id", "-id", " id", ".id"} {
		if strings.HasSuffix(l, suf) {
			return true
		}
	}
	n := len(name)
	return n > 2 && (strings.HasSuffix(name, "Id") || strings.HasSuffix(name, "ID")) &&
		unicode.IsLower(rune(name[n-3]))
}

// infer sets Missing, Kind and Num of every column, columns in parallel
// on large frames. The error reported is that of the leftmost failing column.
func infer(f *Frame, kinds map[string]Kind) error {
	errs := make([]error, len(f.Columns))
	comma := make([]bool, len(f.Columns))
	one := func(j int) {
		c := f.Columns[j]
		c.Missing = make([]bool, len(c.Str))
		for i, s := range c.Str {
			if IsMissingMarker(s) {
				c.Missing[i] = true
				c.Str[i] = ""
			}
		}
		if k, forced := kinds[c.Name]; forced {
			comma[j], errs[j] = force(f, j, k)
			return
		}
		comma[j] = inferColumn(c, f.Delimiter == ';')
	}
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || f.NumRows()*len(f.Columns) < 20000 {
		for j := range f.Columns {
			one(j)
		}
	} else {
		var wg sync.WaitGroup
		next := make(chan int)
		for range workers {
			wg.Go(func() {
				for j := range next {
					one(j)
				}
			})
		}
		for j := range f.Columns {
			next <- j
		}
		close(next)
		wg.Wait()
	}
	for j := range f.Columns {
		if errs[j] != nil {
			return errs[j]
		}
		f.DecimalComma = f.DecimalComma || comma[j]
	}
	return nil
}

// numericColumn parses every present value; ok is false when one is not a
// number or when dot and comma decimals are mixed.
func numericColumn(c *Column, comma bool) (num []float64, usedComma, ok bool) {
	if i := firstPresent(c); i >= 0 && numShape(c.Str[i], comma) == notNumber {
		return nil, false, false
	}
	num = make([]float64, len(c.Str))
	dots, commas := 0, 0
	for i, s := range c.Str {
		if c.Missing[i] {
			num[i] = math.NaN()
			continue
		}
		v, shape, good := parseNumber(s, comma)
		if !good {
			return nil, false, false
		}
		switch shape {
		case dotNumber:
			dots++
		case commaNumber:
			commas++
		}
		num[i] = v
	}
	if dots > 0 && commas > 0 {
		return nil, false, false
	}
	return num, commas > 0, true
}

// inferColumn picks the kind of c from all of its rows and reports whether
// it read decimal commas.
func inferColumn(c *Column, comma bool) bool {
	n, present := len(c.Str), 0
	for _, m := range c.Missing {
		if !m {
			present++
		}
	}
	if present == 0 {
		c.Kind = Categorical
		return false
	}
	if num, usedComma, ok := numericColumn(c, comma); ok {
		c.Num = num
		switch {
		case isZeroOne(num):
			c.Kind = Boolean
		case present == n && uniqueIntegers(num, IDName(c.Name)):
			c.Kind = ID
		default:
			c.Kind = Numeric
		}
		return usedComma
	}
	if num, ok := boolColumn(c); ok {
		c.Kind, c.Num = Boolean, num
		return false
	}
	if num, ok := dateColumn(c); ok {
		c.Kind, c.Num = Datetime, num
		return false
	}
	c.Kind = stringKind(c, present)
	return false
}

// firstPresent returns the first row that is not missing, or -1.
func firstPresent(c *Column) int {
	for i, m := range c.Missing {
		if !m {
			return i
		}
	}
	return -1
}

// isZeroOne reports whether the present values are exactly {0, 1}, both seen.
func isZeroOne(num []float64) bool {
	zero, one := false, false
	for _, v := range num {
		switch {
		case math.IsNaN(v):
		case v == 0:
			zero = true
		case v == 1:
			one = true
		default:
			return false
		}
	}
	return zero && one
}

// uniqueIntegers reports whether num is an identifier: distinct integers,
// either under an ID-like name or forming a consecutive run such as 1..n.
func uniqueIntegers(num []float64, named bool) bool {
	if len(num) < 2 || (!named && len(num) < minRowsForUnnamedID) {
		return false
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range num {
		if v != math.Trunc(v) {
			return false
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	if !named && hi-lo != float64(len(num)-1) {
		return false
	}
	s := slices.Clone(num)
	slices.Sort(s)
	for i := 1; i < len(s); i++ {
		if s[i] == s[i-1] {
			return false
		}
	}
	return named || s[len(s)-1]-s[0] == float64(len(s)-1)
}

// boolColumn reads a column whose values all belong to one boolean
// spelling family (true/false, yes/no, t/f, y/n; any case).
func boolColumn(c *Column) ([]float64, bool) {
	if i := firstPresent(c); i >= 0 {
		if _, _, ok := boolWord(c.Str[i]); !ok {
			return nil, false
		}
	}
	num := make([]float64, len(c.Str))
	family := 0
	for i, s := range c.Str {
		if c.Missing[i] {
			num[i] = math.NaN()
			continue
		}
		p, v, ok := boolWord(s)
		if !ok || (family != 0 && p != family) {
			return nil, false
		}
		family = p
		if v {
			num[i] = 1
		}
	}
	return num, true
}

// stringKind tells ID, Text and Categorical apart among string columns.
func stringKind(c *Column, present int) Kind {
	distinct := make(map[string]struct{}, 64)
	spaces, length := 0, 0
	for i, s := range c.Str {
		if c.Missing[i] {
			continue
		}
		distinct[s] = struct{}{}
		length += len(s)
		if hasSpace(s) {
			spaces++
		}
	}
	d := len(distinct)
	if present == len(c.Str) && d == present && present >= 2 &&
		(IDName(c.Name) || (present >= minRowsForUnnamedID && spaces == 0)) {
		return ID
	}
	if float64(d) >= textMinDistinctFrac*float64(present) &&
		float64(length) >= textMinMeanLen*float64(present) &&
		float64(spaces) >= textMinSpaceFrac*float64(present) {
		return Text
	}
	return Categorical
}

func hasSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ' ' || c == '\t' || c == '\n' {
			return true
		}
	}
	return false
}

// force applies a kind the caller imposed on column j, failing on the first
// cell that does not parse as that kind. It reports whether it read decimal
// commas; it does not modify f itself, so columns can be forced in parallel.
func force(f *Frame, j int, k Kind) (usedComma bool, err error) {
	c := f.Columns[j]
	bad := func(i int, want string) error {
		return &ParseError{File: f.Path, Line: f.Line(i), Column: c.Name, Field: j + 1,
			Msg: fmt.Sprintf("expected %s (the model's input schema says this column is %s), found %q", want, k, c.Str[i])}
	}
	c.Kind, c.Num = k, nil
	switch k {
	case Categorical, Text, ID:
		return false, nil
	case Numeric:
		c.Num = make([]float64, len(c.Str))
		for i, s := range c.Str {
			if c.Missing[i] {
				c.Num[i] = math.NaN()
				continue
			}
			v, shape, ok := parseNumber(s, f.Delimiter == ';')
			if !ok {
				return false, bad(i, "a number")
			}
			usedComma = usedComma || shape == commaNumber
			c.Num[i] = v
		}
	case Boolean:
		c.Num = make([]float64, len(c.Str))
		for i, s := range c.Str {
			if c.Missing[i] {
				c.Num[i] = math.NaN()
				continue
			}
			if _, v, ok := boolWord(s); ok {
				c.Num[i] = b2f(v)
			} else if v, _, ok := parseNumber(s, false); ok && (v == 0 || v == 1) {
				c.Num[i] = v
			} else {
				return false, bad(i, "a boolean (true/false, yes/no, t/f, y/n or 1/0)")
			}
		}
	case Datetime:
		if num, ok := dateColumn(c); ok {
			c.Num = num
			return false, nil
		}
		c.Num = make([]float64, len(c.Str))
		for i, s := range c.Str {
			if c.Missing[i] {
				c.Num[i] = math.NaN()
				continue
			}
			ok := false
			for g := range dateGroups {
				hint := 0
				if c.Num[i], ok = parseDate(g, s, &hint); ok {
					break
				}
			}
			if !ok {
				return false, bad(i, "a date such as 2006-01-02, 2006-01-02 15:04:05, 02/01/2006 or 2-Jan-2006")
			}
		}
	default:
		return false, &ParseError{File: f.Path, Column: c.Name, Field: j + 1,
			Msg: fmt.Sprintf("unknown kind %q forced for this column: expected one of numeric, boolean, categorical, datetime, text, id", k)}
	}
	return usedComma, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// unixTime turns Unix seconds (as stored in Datetime columns) into a UTC time.
func unixTime(sec float64) time.Time {
	s := math.Floor(sec)
	return time.Unix(int64(s), int64(math.Round((sec-s)*1e9))).UTC()
}
