package serving

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of JSON values the scanner follows, so that a
// body of ten thousand '[' cannot exhaust the stack.
const maxDepth = 64

// valType is the JSON type of a scalar cell, or how a CSV cell arrived.
type valType uint8

const (
	vAbsent valType = iota // the record did not name the column
	vNull
	vString
	vNumber
	vBool
	vCompound // an object or array where a scalar belongs
	vText     // a CSV cell: raw text, read by the column's kind
)

func (t valType) String() string {
	switch t {
	case vNull:
		return "null"
	case vString:
		return "a string"
	case vNumber:
		return "a number"
	case vBool:
		return "a boolean"
	case vCompound:
		return "an object or array"
	case vText:
		return "text"
	}
	return "nothing"
}

// syntaxError is malformed JSON at a byte offset of the body.
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("malformed JSON at byte %d: %s", e.off, e.msg)
}

// scanner reads JSON from a string without building a tree: the request
// parser pulls exactly the tokens it expects. Strings without escapes are
// returned as substrings of the body, so reading them does not allocate.
type scanner struct {
	s   string
	i   int
	err *syntaxError
}

func (sc *scanner) fail(format string, a ...any) {
	if sc.err == nil {
		sc.err = &syntaxError{off: sc.i, msg: fmt.Sprintf(format, a...)}
	}
}

// ws skips white space and returns the next byte (0 at the end).
func (sc *scanner) ws() byte {
	for sc.i < len(sc.s) {
		switch c := sc.s[sc.i]; c {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return c
		}
	}
	return 0
}

// expect consumes byte c after white space.
func (sc *scanner) expect(c byte) bool {
	if sc.err != nil {
		return false
	}
	got := sc.ws()
	if sc.i >= len(sc.s) {
		sc.fail("unexpected end of input, want %q", c)
		return false
	}
	if got != c {
		sc.fail("found %s, want %q", describeByte(got), c)
		return false
	}
	sc.i++
	return true
}

func describeByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("%q", c)
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// more reports, inside an object or array already opened, whether another
// member follows, consuming the separating comma; it consumes the closing
// byte end when there is none. first is true before the first member.
func (sc *scanner) more(end byte, first bool) bool {
	if sc.err != nil {
		return false
	}
	c := sc.ws()
	if c == end {
		sc.i++
		return false
	}
	if !first {
		if c != ',' {
			if sc.i >= len(sc.s) {
				sc.fail("unexpected end of input, want ',' or %q", end)
			} else {
				sc.fail("found %s, want ',' or %q", describeByte(c), end)
			}
			return false
		}
		sc.i++
		sc.ws()
	}
	if sc.i >= len(sc.s) {
		sc.fail("unexpected end of input")
		return false
	}
	return true
}

// key reads an object key and its colon.
func (sc *scanner) key() string {
	if c := sc.ws(); c != '"' {
		if sc.i >= len(sc.s) {
			sc.fail("unexpected end of input, want a key")
		} else {
			sc.fail("found %s, want a string key", describeByte(c))
		}
		return ""
	}
	k := sc.str()
	sc.expect(':')
	return k
}

// str reads a string starting at the opening quote.
func (sc *scanner) str() string {
	start := sc.i + 1
	for j := start; j < len(sc.s); j++ {
		switch c := sc.s[j]; {
		case c == '"':
			sc.i = j + 1
			return sc.s[start:j]
		case c == '\\':
			return sc.strEscaped(start, j)
		case c < 0x20:
			sc.i = j
			sc.fail("control character 0x%02x in a string", c)
			return ""
		}
	}
	sc.i = len(sc.s)
	sc.fail("unterminated string")
	return ""
}

// strEscaped finishes a string holding escapes; s[start:j] has none.
func (sc *scanner) strEscaped(start, j int) string {
	var b strings.Builder
	b.WriteString(sc.s[start:j])
	for j < len(sc.s) {
		c := sc.s[j]
		switch {
		case c == '"':
			sc.i = j + 1
			return b.String()
		case c < 0x20:
			sc.i = j
			sc.fail("control character 0x%02x in a string", c)
			return ""
		case c != '\\':
			b.WriteByte(c)
			j++
			continue
		}
		if j+1 >= len(sc.s) {
			break
		}
		e := sc.s[j+1]
		j += 2
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := hex4(sc.s, j)
			if !ok {
				sc.i = j
				sc.fail(`bad \u escape`)
				return ""
			}
			j += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if j+6 <= len(sc.s) && sc.s[j] == '\\' && sc.s[j+1] == 'u' {
					r2, ok = hex4(sc.s, j+2)
				}
				if d := utf16.DecodeRune(r, r2); ok && d != utf8.RuneError {
					r = d
					j += 6
				} else {
					r = utf8.RuneError
				}
			}
			b.WriteRune(r)
		default:
			sc.i = j - 1
			sc.fail("bad escape \\%c", e)
			return ""
		}
	}
	sc.i = len(sc.s)
	sc.fail("unterminated string")
	return ""
}

func hex4(s string, j int) (rune, bool) {
	if j+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[j : j+4]) {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

// number reads a JSON number and returns its text.
func (sc *scanner) number() string {
	s, start := sc.s, sc.i
	j := start
	if j < len(s) && s[j] == '-' {
		j++
	}
	switch {
	case j < len(s) && s[j] == '0':
		j++
	case j < len(s) && s[j] >= '1' && s[j] <= '9':
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
	default:
		sc.i = j
		sc.fail("bad number")
		return ""
	}
	if j < len(s) && s[j] == '.' {
		j++
		k := j
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == k {
			sc.i = j
			sc.fail("bad number: no digits after '.'")
			return ""
		}
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		j++
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == k {
			sc.i = j
			sc.fail("bad number: no digits in the exponent")
			return ""
		}
	}
	sc.i = j
	return s[start:j]
}

// firstElement returns the first byte of the first element of the array
// at the current position, without consuming anything (0 if there is no
// array or it is empty).
func (sc *scanner) firstElement() byte {
	i := sc.i
	defer func() { sc.i = i }()
	if sc.ws() != '[' {
		return 0
	}
	sc.i++
	if c := sc.ws(); c != ']' {
		return c
	}
	return 0
}

// literal consumes word (true, false or null) at the current position.
func (sc *scanner) literal(word string) bool {
	if strings.HasPrefix(sc.s[sc.i:], word) {
		sc.i += len(word)
		return true
	}
	sc.fail("unknown literal")
	return false
}

// scalar reads any JSON value. Scalars come back with their type and text
// (a string's decoded text, a number's literal, "true" or "false"); objects
// and arrays are skipped and reported as vCompound.
func (sc *scanner) scalar() (valType, string) {
	if sc.err != nil {
		return vNull, ""
	}
	switch c := sc.ws(); {
	case c == '"':
		return vString, sc.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return vNumber, sc.number()
	case c == 't':
		sc.literal("true")
		return vBool, "true"
	case c == 'f':
		sc.literal("false")
		return vBool, "false"
	case c == 'n':
		sc.literal("null")
		return vNull, ""
	case c == '{' || c == '[':
		sc.skip(0)
		return vCompound, ""
	case sc.i >= len(sc.s):
		sc.fail("unexpected end of input, want a value")
	default:
		sc.fail("found %s, want a value", describeByte(c))
	}
	return vNull, ""
}

// skip reads and discards one value, checking its syntax.
func (sc *scanner) skip(depth int) {
	if sc.err != nil {
		return
	}
	if depth > maxDepth {
		sc.fail("values nested deeper than %d levels", maxDepth)
		return
	}
	switch sc.ws() {
	case '{':
		sc.i++
		for first := true; sc.more('}', first); first = false {
			sc.key()
			sc.skip(depth + 1)
		}
	case '[':
		sc.i++
		for first := true; sc.more(']', first); first = false {
			sc.skip(depth + 1)
		}
	default:
		sc.scalar()
	}
}

// end checks that nothing but white space follows the top-level value.
func (sc *scanner) end() {
	sc.ws()
	if sc.i < len(sc.s) {
		sc.fail("unexpected data after the top-level value")
	}
}
