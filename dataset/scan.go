package dataset

import (
	"fmt"
	"strings"
)

// scanner splits delimited text into records. It follows RFC 4180 with a few
// allowances real files need: white space around fields (and around quoted
// fields) is dropped, a quote inside an unquoted field is an ordinary
// character, and lines that are blank are skipped. Line endings are LF or
// CRLF; the caller turns CR-only files into LF first.
//
// The text may be a window of a longer stream: unless final is set, a record
// that reaches the end of s is not taken but reported as incomplete, and
// the caller calls again once s holds more.
type scanner struct {
	s     string
	pos   int
	line  int // physical line (1-based) at pos
	delim byte
	final bool // s ends the input
}

// Outcomes of scanner.next.
const (
	scanEnd  = iota // no more records
	scanOK          // a record
	scanMore        // the next record runs past the end of s (not final)
)

func newScanner(s string, delim byte) *scanner {
	return &scanner{s: s, line: 1, delim: delim, final: true}
}

// scanError is a tokenizing problem; field is the 0-based field index within
// the record, so the caller can name the column.
type scanError struct {
	line  int
	field int
	msg   string
}

// isBlank reports whether c counts as white space around a field.
func (sc *scanner) isBlank(c byte) bool {
	return c == ' ' || (c == '\t' && sc.delim != '\t')
}

// skipBlankLines moves past lines that hold nothing but white space. It
// stops at the start of a blank line that reaches the end of a window.
func (sc *scanner) skipBlankLines() {
	s := sc.s
	for sc.pos < len(s) {
		p := sc.pos
		for p < len(s) && (sc.isBlank(s[p]) || s[p] == '\r') {
			p++
		}
		if p < len(s) && s[p] != '\n' {
			return
		}
		if p >= len(s) {
			if sc.final {
				sc.pos = p
			}
			return
		}
		sc.pos = p + 1
		sc.line++
	}
}

// next reads one record, reusing fields. start is the physical line the
// record begins on. On scanMore the scanner is left at the record's start.
func (sc *scanner) next(fields []string) (out []string, start int, status int, err *scanError) {
	sc.skipBlankLines()
	s := sc.s
	if sc.pos >= len(s) {
		return fields[:0], sc.line, scanEnd, nil
	}
	start = sc.line
	begin := sc.pos
	more := func() ([]string, int, int, *scanError) {
		sc.pos, sc.line = begin, start
		return fields, start, scanMore, nil
	}
	fields = fields[:0]
	p := sc.pos
	for {
		for p < len(s) && sc.isBlank(s[p]) {
			p++
		}
		if p < len(s) && s[p] == '"' {
			field, np, e := sc.quoted(p+1, len(fields))
			if e != nil {
				if !sc.final {
					return more()
				}
				return fields, start, scanEnd, e
			}
			p = np
			for p < len(s) && (sc.isBlank(s[p]) || (s[p] == '\r' && p+1 < len(s) && s[p+1] == '\n')) {
				p++
			}
			fields = append(fields, strings.TrimSpace(field))
			switch {
			case p >= len(s) || (!sc.final && p == len(s)-1 && s[p] == '\r'):
				if !sc.final {
					return more()
				}
				sc.pos = p
				return fields, start, scanOK, nil
			case s[p] == sc.delim:
				p++
				continue
			case s[p] == '\n':
				sc.pos = p + 1
				sc.line++
				return fields, start, scanOK, nil
			default:
				return fields, start, scanEnd, &scanError{line: sc.line, field: len(fields) - 1,
					msg: fmt.Sprintf("expected a delimiter %q or the end of the line after a closing quote, found %q", rune(sc.delim), firstRune(s[p:]))}
			}
		}
		q := p
		for q < len(s) && s[q] != sc.delim && s[q] != '\n' {
			q++
		}
		if q >= len(s) && !sc.final {
			return more()
		}
		fields = append(fields, strings.TrimSpace(s[p:q]))
		if q < len(s) && s[q] == sc.delim {
			p = q + 1
			continue
		}
		if q < len(s) { // newline
			q++
			sc.line++
		}
		sc.pos = q
		return fields, start, scanOK, nil
	}
}

// quoted reads a quoted field whose content starts at p (just after the
// opening quote). It returns the unescaped content and the position after
// the closing quote.
func (sc *scanner) quoted(p, field int) (string, int, *scanError) {
	s := sc.s
	openLine := sc.line
	var buf []byte
	seg := p
	for {
		i := strings.IndexByte(s[p:], '"')
		if i < 0 {
			return "", 0, &scanError{line: openLine, field: field,
				msg: "unterminated quoted field: the quote opened here is never closed (expected a closing \")"}
		}
		sc.line += strings.Count(s[p:p+i], "\n")
		if p+i+1 < len(s) && s[p+i+1] == '"' { // doubled quote
			buf = append(buf, s[seg:p+i+1]...)
			p += i + 2
			seg = p
			continue
		}
		end := p + i
		if buf == nil {
			return s[seg:end], end + 1, nil
		}
		buf = append(buf, s[seg:end]...)
		return string(buf), end + 1, nil
	}
}

func firstRune(s string) string {
	for _, r := range s {
		return string(r)
	}
	return ""
}

// delimiters are the candidates tried by detection, in order of preference.
var delimiters = []byte{',', ';', '\t', '|'}

// detectDelimiter picks the candidate whose first records (quote-aware) all
// have the header's field count, preferring more fields, then the order of
// delimiters. When no candidate is consistent it takes the one with the
// largest share of records matching the header; ',' when nothing splits.
// Unless final, s is the start of a longer input and a record that runs past
// its end is not counted.
func detectDelimiter(s string, final bool) byte {
	const sample = 50
	best, bestScore, bestFields := byte(','), -1.0, 0
	var fields []string
	for _, d := range delimiters {
		sc := newScanner(s, d)
		sc.final = final
		var st int
		var err *scanError
		fields, _, st, err = sc.next(fields)
		if st != scanOK || err != nil || len(fields) < 2 {
			continue
		}
		h := len(fields)
		rows, match := 0, 0
		for rows < sample {
			fields, _, st, err = sc.next(fields)
			if err != nil || st != scanOK {
				break
			}
			rows++
			if len(fields) == h {
				match++
			}
		}
		score := 1.0
		if rows > 0 {
			score = float64(match) / float64(rows)
		}
		if err != nil {
			score -= 0.5
		}
		if score > bestScore || (score == bestScore && h > bestFields) {
			best, bestScore, bestFields = d, score, h
		}
	}
	return best
}
