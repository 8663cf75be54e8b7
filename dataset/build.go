package dataset

import (
	"math"
	"strings"
)

// Modes of a column builder: what the present cells seen so far were.
const (
	modeEmpty = iota // no present cell yet
	modeNum          // every present cell a number
	modeStr          // some present cell not a number: dictionary codes
)

// builder accumulates one column's cells as they are read, keeping no string
// per cell: numbers go to Num with the text's format (numFormat), other text
// to dictionary codes. A column that turns out not to be numeric after some
// numbers is rewritten as codes from the numbers' exact text.
type builder struct {
	name    string
	comma   bool // decimal commas allowed (the ; delimiter)
	mode    int
	present int

	missing []bool
	num     []float64

	short, fixed numFormat // candidate formats of the numbers (modeNum without codes)
	dots, commas int       // number shapes seen

	codes *codeVec // dictionary codes (modeStr, or modeNum once both formats failed)
	dict  []string
	index map[string]uint32

	fromNumbers bool // set by finish: Num holds parsed numbers
}

func newBuilder(name string, comma bool, capHint int) *builder {
	return &builder{name: name, comma: comma, missing: make([]bool, 0, capHint)}
}

// add appends one trimmed cell.
func (b *builder) add(s string) {
	i := len(b.missing)
	if IsMissingMarker(s) {
		b.missing = append(b.missing, true)
		if b.mode == modeNum {
			b.num = append(b.num, math.NaN())
		}
		if b.codes != nil {
			b.codes.add(0)
		}
		return
	}
	b.missing = append(b.missing, false)
	b.present++
	switch b.mode {
	case modeEmpty:
		if v, shape, ok := readNumber(s, b.comma); ok {
			b.mode = modeNum
			b.num = make([]float64, i, cap(b.missing))
			for k := range b.num {
				b.num[k] = math.NaN()
			}
			b.short = numFormat{decimals: -1}
			b.fixed = numFormat{decimals: -2}
			b.addNum(i, s, v, shape)
			return
		}
		b.mode = modeStr
		b.startCodes(i)
		b.addText(s)
	case modeNum:
		v, shape, ok := readNumber(s, b.comma)
		if !ok {
			b.toStrings(i)
			b.addText(s)
			return
		}
		b.addNum(i, s, v, shape)
	default:
		b.addText(s)
	}
}

func (b *builder) addNum(i int, s string, v float64, shape int) {
	b.num = append(b.num, v)
	switch shape {
	case dotNumber:
		b.dots++
	case commaNumber:
		b.commas++
	}
	if b.codes != nil {
		b.addText(s)
		return
	}
	b.short.add(i, s, v)
	b.fixed.add(i, s, v)
	if b.short.dead && b.fixed.dead {
		// Neither format reproduces the column's text: keep it as codes,
		// rebuilt from the format that failed last (its exceptions are complete).
		last := &b.short
		if b.short.except == nil {
			last = &b.fixed
		}
		b.codesFromFormat(i+1, last)
	} else {
		if b.short.dead {
			b.short.except = nil
		}
		if b.fixed.dead {
			b.fixed.except = nil
		}
	}
}

// addNumber appends a value whose text is its shortest form (typed inputs
// such as Parquet doubles); NaN is a missing cell.
func (b *builder) addNumber(v float64) {
	if math.IsNaN(v) {
		b.add("")
		return
	}
	if b.mode == modeEmpty {
		i := len(b.missing)
		b.mode = modeNum
		b.num = make([]float64, i, cap(b.missing))
		for k := range b.num {
			b.num[k] = math.NaN()
		}
		b.short = numFormat{decimals: -1}
		b.fixed = numFormat{decimals: -2, dead: true}
	}
	if b.mode == modeNum && b.codes == nil && !b.short.dead && b.short.sep != ',' && b.fixed.dead {
		b.missing = append(b.missing, false)
		b.present++
		b.num = append(b.num, v)
		if v != math.Trunc(v) {
			b.dots++
			b.short.sep = '.'
		}
		return
	}
	b.add(formatNum(v, -1, '.'))
}

// addDoubles appends a page of doubles: vals holds the present values in
// order, defs the definition levels (a value is present at level maxDef;
// empty when the column is required). It reports false, appending nothing,
// when the two do not agree.
func (b *builder) addDoubles(vals []float64, defs []byte, maxDef byte) bool {
	n := len(vals)
	if len(defs) > 0 {
		present := 0
		for _, d := range defs {
			if d == maxDef {
				present++
			}
		}
		if present != len(vals) {
			return false
		}
		n = len(defs)
	}
	k := 0
	for i := range n {
		if len(defs) > 0 && defs[i] != maxDef {
			b.add("")
			continue
		}
		v := vals[k]
		k++
		switch {
		case math.IsInf(v, 0):
			b.add(formatNum(v, -1, '.'))
		case b.mode == modeNum && b.codes == nil && !b.short.dead && b.short.sep != ',' && b.fixed.dead && !math.IsNaN(v):
			b.missing = append(b.missing, false)
			b.present++
			b.num = append(b.num, v)
			if v != math.Trunc(v) {
				b.dots++
				b.short.sep = '.'
			}
		default:
			b.addNumber(v)
		}
	}
	return true
}

func (b *builder) startCodes(n int) {
	b.codes = newCodes(n, cap(b.missing))
	b.dict = []string{""}
	b.index = make(map[string]uint32)
}

func (b *builder) addText(s string) {
	k, ok := b.index[s]
	if !ok {
		k = uint32(len(b.dict))
		s = strings.Clone(s)
		b.dict = append(b.dict, s)
		b.index[s] = k
	}
	b.codes.add(k)
}

// codesFromFormat rewrites rows [0, n) of a numeric column as codes,
// their text coming from nf.
func (b *builder) codesFromFormat(n int, nf *numFormat) {
	b.codes = newCodes(0, cap(b.missing))
	b.dict = []string{""}
	b.index = make(map[string]uint32)
	for r := range n {
		switch s, ok := nf.except[int32(r)]; {
		case b.missing[r]:
			b.codes.add(0)
		case ok:
			b.addText(s)
		default:
			b.addText(formatNum(b.num[r], nf.decimals, nf.sep))
		}
	}
	b.short, b.fixed = numFormat{dead: true}, numFormat{dead: true}
}

// format returns the format that reproduces the numbers with fewest
// exceptions (modeNum without codes).
func (b *builder) format() *numFormat {
	switch {
	case b.short.dead:
		return &b.fixed
	case b.fixed.dead || b.fixed.decimals < 0:
		return &b.short
	case len(b.fixed.except) < len(b.short.except):
		return &b.fixed
	}
	return &b.short
}

// toStrings turns a numeric column into a string one after its first n rows.
func (b *builder) toStrings(n int) {
	if b.codes == nil {
		b.codesFromFormat(n, b.format())
	}
	b.num, b.mode = nil, modeStr
}

// finish infers the column's kind and hands its storage to a Column. It
// reports whether the column read decimal commas.
func (b *builder) finish() (*Column, bool) {
	c := &Column{Name: b.name, Missing: b.missing}
	n := len(b.missing)
	if b.mode == modeNum && b.dots > 0 && b.commas > 0 {
		b.toStrings(n) // dot and comma decimals mixed: not numbers
	}
	switch b.mode {
	case modeEmpty:
		c.Kind = Categorical
		return c, false
	case modeNum:
		b.fromNumbers = true
		c.Num = b.num
		switch {
		case isZeroOne(c.Num):
			c.Kind = Boolean
		case b.present == n && uniqueIntegers(c.Num, IDName(b.name)):
			c.Kind = ID
		default:
			c.Kind = Numeric
		}
		if b.codes != nil {
			c.text = cellText{codes: b.codes, dict: b.dict}
		} else {
			nf := b.format()
			c.text = cellText{fixed: nf.decimals >= 0, decimals: nf.decimals, sep: nf.sep, except: nf.except}
		}
		return c, b.commas > 0
	}
	c.text = cellText{codes: b.codes, dict: b.dict}
	b.index = nil
	c.Kind, c.Num = inferStrings(c, b.present)
	return c, false
}

// inferStrings picks the kind of a column of dictionary codes from its
// distinct values: one boolean family, one date family, else ID, Text or
// Categorical (see stringKind).
func inferStrings(c *Column, present int) (Kind, []float64) {
	dict := c.text.dict[1:]
	if table, ok := boolTable(dict); ok {
		return Boolean, expand(c, table)
	}
	for g := range dateGroups {
		if table, ok := dateTable(dict, g); ok {
			return Datetime, expand(c, table)
		}
	}
	counts := make([]int, len(c.text.dict))
	for i := range c.text.codes.n() {
		counts[c.text.codes.at(i)]++
	}
	spaces, length := 0, 0
	for k, s := range dict {
		length += counts[k+1] * len(s)
		if hasSpace(s) {
			spaces += counts[k+1]
		}
	}
	return stringKind(c.Name, len(dict), present, c.text.codes.n(), spaces, length), nil
}

// expand maps codes to values (table[k-1] for code k; NaN for missing).
func expand(c *Column, table []float64) []float64 {
	full := make([]float64, len(table)+1)
	full[0] = math.NaN()
	copy(full[1:], table)
	num := make([]float64, c.text.codes.n())
	for i := range num {
		num[i] = full[c.text.codes.at(i)]
	}
	return num
}

func boolTable(dict []string) ([]float64, bool) {
	family := 0
	table := make([]float64, len(dict))
	for k, s := range dict {
		p, v, ok := boolWord(s)
		if !ok || (family != 0 && p != family) {
			return nil, false
		}
		family = p
		table[k] = b2f(v)
	}
	return table, len(dict) > 0
}

func dateTable(dict []string, g int) ([]float64, bool) {
	hint := 0
	table := make([]float64, len(dict))
	for k, s := range dict {
		v, ok := parseDate(g, s, &hint)
		if !ok {
			return nil, false
		}
		table[k] = v
	}
	return table, len(dict) > 0
}

// materialize gives a column read from a file dictionary codes for its text
// (a forced kind reads every cell's text).
func (c *Column) materialize() {
	if c.Str != nil || c.text.codes != nil {
		return
	}
	t := cellText{codes: newCodes(0, c.Len()), dict: []string{""}}
	index := map[string]uint32{}
	for i := range c.Len() {
		s := c.String(i)
		k, ok := index[s]
		if !ok && s != "" {
			k = uint32(len(t.dict))
			t.dict = append(t.dict, s)
			index[s] = k
		}
		t.codes.add(k)
	}
	c.text = t
}
