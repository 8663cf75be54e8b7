package refcsv

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// Options control reading.
type Options struct {
	// Kinds forces the kind of named columns (used when scoring new data with a model's input
	// schema): a cell that does not parse as the forced kind is an error naming file, line, column.
	// Names absent from the file are ignored; the caller checks the columns it needs.
	Kinds map[string]Kind
	// Delimiter forces the delimiter (0 = detect). It must be a single-byte character.
	Delimiter rune
}

// ParseError is an error caused by the content of a user's file. It names
// the file, the physical line (1-based, counting the header), the column and
// what was expected.
type ParseError struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`   // 0 when the error concerns the whole file
	Column string `json:"column,omitempty"` // header name; "" when not tied to one column
	Field  int    `json:"field,omitempty"`  // 1-based field position on the line; 0 when unknown
	Msg    string `json:"message"`
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	switch {
	case e.Column != "":
		fmt.Fprintf(&b, ": column %q", e.Column)
		if e.Field > 0 {
			fmt.Fprintf(&b, " (field %d)", e.Field)
		}
	case e.Field > 0:
		fmt.Fprintf(&b, ": field %d", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Read reads the delimited text file at path into a Frame. Frame.SHA256 is
// the hex sha256 of the file's bytes as stored on disk.
func Read(path string, opt Options) (*Frame, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read dataset: %w", err)
	}
	return ReadBytes(path, data, opt)
}

// SHA256File returns the hex sha256 of the file's bytes.
func SHA256File(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash dataset: %w", err)
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", fmt.Errorf("hash dataset %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ReadBytes parses data as the content of a delimited text file; name is
// used in errors and as Frame.Path.
func ReadBytes(name string, data []byte, opt Options) (*Frame, error) {
	sum := sha256.Sum256(data)
	fail := func(line int, col string, field int, format string, args ...any) error {
		return &ParseError{File: name, Line: line, Column: col, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	body := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fail(0, "", 0, "the file is empty: expected a header line naming the columns, then data rows")
	}
	if bytes.HasPrefix(body, []byte{0xff, 0xfe}) || bytes.HasPrefix(body, []byte{0xfe, 0xff}) {
		return nil, fail(1, "", 0, "the file is UTF-16 encoded: expected UTF-8 text (save it as UTF-8 CSV)")
	}
	s := string(body)
	if !strings.Contains(s, "\n") && strings.Contains(s, "\r") {
		s = strings.ReplaceAll(s, "\r", "\n") // classic Mac line endings
	}

	var delim byte
	switch {
	case opt.Delimiter == 0:
		delim = detectDelimiter(s)
	case opt.Delimiter < utf8.RuneSelf && opt.Delimiter != '"' && opt.Delimiter != '\n' && opt.Delimiter != '\r':
		delim = byte(opt.Delimiter)
	default:
		return nil, fail(0, "", 0, "delimiter %q is not supported: expected a single ASCII character other than a quote or line break", opt.Delimiter)
	}

	sc := newScanner(s, delim)
	header, _, _, serr := sc.next(nil)
	header = append([]string(nil), header...)
	if e := checkBytes(name, s, delim, header); e != nil {
		return nil, e
	}
	if serr != nil {
		return nil, fail(serr.line, "", serr.field+1, "in the header: %s", serr.msg)
	}
	seen := make(map[string]int, len(header))
	for j, h := range header {
		if h == "" {
			return nil, fail(1, "", j+1, "empty column name in the header: expected every column to have a name (a trailing delimiter adds an unnamed column)")
		}
		if k, dup := seen[h]; dup {
			return nil, fail(1, h, j+1, "duplicate column name: fields %d and %d of the header are both %q; expected unique names", k+1, j+1, h)
		}
		seen[h] = j
	}

	f := &Frame{Path: name, SHA256: hex.EncodeToString(sum[:]), Delimiter: rune(delim)}
	est := strings.Count(s, "\n") + 1
	f.Columns = make([]*Column, len(header))
	for j, h := range header {
		f.Columns[j] = &Column{Name: h, Str: make([]string, 0, est)}
	}
	f.lines = make([]int, 0, est)
	fields := make([]string, 0, len(header))
	for {
		var ok bool
		var line int
		fields, line, ok, serr = sc.next(fields)
		if serr != nil {
			col := ""
			if serr.field < len(header) {
				col = header[serr.field]
			}
			return nil, fail(serr.line, col, serr.field+1, "%s", serr.msg)
		}
		if !ok {
			break
		}
		if len(fields) != len(header) {
			return nil, raggedError(name, line, header, len(fields), delim)
		}
		for j, v := range fields {
			f.Columns[j].Str = append(f.Columns[j].Str, v)
		}
		f.lines = append(f.lines, line)
	}
	if len(f.lines) == 0 {
		return nil, fail(1, "", 0, "the file has a header but no data rows: expected at least one row after the header")
	}
	if err := infer(f, opt.Kinds); err != nil {
		return nil, err
	}
	return f, nil
}

func raggedError(name string, line int, header []string, got int, delim byte) error {
	e := &ParseError{File: name, Line: line}
	n := len(header)
	if got < n {
		e.Column, e.Field = header[got], got+1
		e.Msg = fmt.Sprintf("the row has %d fields but the header has %d: expected a value (or an empty field) for column %q onwards, separated by %q", got, n, header[got], rune(delim))
	} else {
		e.Column = header[n-1]
		e.Msg = fmt.Sprintf("the row has %d fields but the header has %d: expected no field after the last column %q (a value containing %q must be quoted)", got, n, header[n-1], rune(delim))
	}
	return e
}

// checkBytes rejects NUL bytes (binary files, UTF-16) and invalid UTF-8,
// naming the line and, when it can be told from the line, the column.
func checkBytes(name, s string, delim byte, header []string) error {
	bad, msg := strings.IndexByte(s, 0), ""
	if bad >= 0 {
		msg = "NUL byte: this looks like a binary file (or UTF-16 text); expected UTF-8 delimited text"
	}
	if bad < 0 || !utf8.ValidString(s[:bad]) {
		if utf8.ValidString(s) {
			return nil
		}
		bad = invalidUTF8(s)
		msg = fmt.Sprintf("invalid UTF-8 byte 0x%02x: expected UTF-8 text (this is a binary file, or text in a legacy encoding such as Latin-1 that must be converted to UTF-8)", s[bad])
	}
	lineStart := strings.LastIndexByte(s[:bad], '\n') + 1
	line := 1 + strings.Count(s[:lineStart], "\n")
	// The field is counted on this physical line only, toggling on quotes;
	// it names the column whenever the record does not span lines.
	field, inQuote := 0, false
	for i := lineStart; i < bad; i++ {
		switch s[i] {
		case '"':
			inQuote = !inQuote
		case delim:
			if !inQuote {
				field++
			}
		}
	}
	e := &ParseError{File: name, Line: line, Field: field + 1, Msg: msg}
	if line > 1 && field < len(header) && utf8.ValidString(header[field]) {
		e.Column = header[field]
	}
	return e
}

func invalidUTF8(s string) int {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(s)
}

// Line returns the physical line (1-based, header = 1) on which data row
// row starts, for messages about that row.
func (f *Frame) Line(row int) int {
	if row < 0 || row >= len(f.lines) {
		return 0
	}
	return f.lines[row]
}
