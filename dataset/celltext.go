package dataset

import (
	"strconv"
	"strings"
)

// cellText finds the text of a column's cells without a string per cell:
// either a dictionary code per row, or the row's number formatted the way the
// column's file wrote its numbers, with the few cells written otherwise kept
// aside.
type cellText struct {
	codes *codeVec // dictionary code of each row; nil when the text is formatted from Num
	dict  []string // dict[0] is "" (the missing cell)
	// Number formatting, used when codes is nil: with fixed, decimals fraction
	// digits, otherwise the shortest form that reads back as the value; sep is
	// the decimal separator ('.' when 0). except holds the cells the format
	// does not reproduce. The zero value writes the shortest form.
	fixed    bool
	decimals int
	sep      byte
	except   map[int32]string
}

func (t *cellText) digits() int {
	if t.fixed {
		return t.decimals
	}
	return -1
}

func (t *cellText) at(c *Column, i int) string {
	if t.codes != nil {
		return t.dict[t.codes.at(i)]
	}
	if c.Num == nil || c.Missing == nil || c.Missing[i] {
		return ""
	}
	if s, ok := t.except[int32(i)]; ok {
		return s
	}
	return formatNum(c.Num[i], t.digits(), t.sep)
}

// dictionary reports whether the cells are dictionary codes.
func (t *cellText) dictionary() bool { return t.codes != nil }

func formatNum(v float64, decimals int, sep byte) string {
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if sep == ',' {
		if i := strings.IndexByte(s, '.'); i >= 0 {
			s = s[:i] + "," + s[i+1:]
		}
	}
	return s
}

// numFormat is a candidate way of writing a column's numbers, with the cells
// it fails to reproduce; dead once those are too many to keep aside.
type numFormat struct {
	decimals int  // < 0: shortest; -2 on the fixed candidate until a fraction is seen
	sep      byte // 0 until a fraction is seen
	except   map[int32]string
	dead     bool
}

// maxExcept is how many cells a format may fail to reproduce at row n before
// the column keeps its text as dictionary codes instead.
func maxExcept(n int) int { return 1024 + n/32 }

// fits reports whether the format writes v as s (a trimmed cell that parsed
// as v with the given shape). The common cases are decided from the text's
// shape; the rest by formatting.
func (nf *numFormat) fits(s string, v float64) bool {
	if nf.decimals == -2 {
		return false // the fixed candidate writes every cell with a fraction, none seen yet
	}
	i, n := 0, len(s)
	if n > 0 && s[0] == '-' {
		i++
	}
	intStart := i
	for i < n && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intDigits := i - intStart
	var sep byte
	fracStart, fracDigits := i, 0
	if i < n && (s[i] == '.' || s[i] == ',') {
		sep = s[i]
		i++
		fracStart = i
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		fracDigits = i - fracStart
	}
	simple := i == n && intDigits > 0 && (intDigits == 1 || s[intStart] != '0') && (sep == 0 || fracDigits > 0)
	if simple {
		sig := intDigits + fracDigits
		if intDigits == 1 && s[intStart] == '0' { // 0.000123: leading zeros are not significant
			sig = fracDigits
			for k := fracStart; k < n && s[k] == '0'; k++ {
				sig--
			}
		}
		if sig <= 15 {
			if sep != 0 && nf.sep != sep {
				return false
			}
			if nf.decimals < 0 {
				return sep == 0 || s[n-1] != '0'
			}
			return fracDigits == nf.decimals
		}
	}
	sp := nf.sep
	if sp == 0 {
		sp = '.'
	}
	return formatNum(v, nf.decimals, sp) == s
}

// add records cell i (text s, value v) against the format.
func (nf *numFormat) add(i int, s string, v float64) {
	if nf.dead {
		return
	}
	if nf.sep == 0 {
		if k := strings.IndexAny(s, ".,"); k >= 0 && !strings.ContainsAny(s, "eE") {
			nf.sep = s[k]
			if nf.decimals == -2 {
				nf.decimals = len(s) - k - 1
			}
		}
	}
	if nf.fits(s, v) {
		return
	}
	if nf.except == nil {
		nf.except = make(map[int32]string)
	}
	nf.except[int32(i)] = strings.Clone(s)
	if len(nf.except) > maxExcept(i+1) {
		nf.dead = true // the builder drops except once it has no use for it
	}
}

// codeVec holds dictionary codes in the narrowest width their dictionary
// allows (one byte per cell up to 255 distinct values), widening as it grows.
type codeVec struct {
	width int // 8, 16 or 32
	w8    []uint8
	w16   []uint16
	w32   []uint32
}

// newCodes returns n zero codes with room for capHint.
func newCodes(n, capHint int) *codeVec {
	return &codeVec{width: 8, w8: make([]uint8, n, max(n, capHint))}
}

func (v *codeVec) at(i int) uint32 {
	switch v.width {
	case 8:
		return uint32(v.w8[i])
	case 16:
		return uint32(v.w16[i])
	}
	return v.w32[i]
}

func (v *codeVec) n() int {
	switch v.width {
	case 8:
		return len(v.w8)
	case 16:
		return len(v.w16)
	}
	return len(v.w32)
}

func (v *codeVec) add(k uint32) {
	if v.width == 8 {
		if k <= 0xff {
			v.w8 = append(v.w8, uint8(k))
			return
		}
		v.w16 = make([]uint16, len(v.w8), cap(v.w8))
		for i, c := range v.w8 {
			v.w16[i] = uint16(c)
		}
		v.w8, v.width = nil, 16
	}
	if v.width == 16 {
		if k <= 0xffff {
			v.w16 = append(v.w16, uint16(k))
			return
		}
		v.w32 = make([]uint32, len(v.w16), cap(v.w16))
		for i, c := range v.w16 {
			v.w32[i] = uint32(c)
		}
		v.w16, v.width = nil, 32
	}
	v.w32 = append(v.w32, k)
}
