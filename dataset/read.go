package dataset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"
)

// Options control reading.
//
// Zero values mean "detect" or "no limit".
type Options struct {
	// Kinds forces the kind of named columns (used when scoring new data with a model's input
	// schema): a cell that does not parse as the forced kind is an error naming file, line, column.
	// Names absent from the file are ignored; the caller checks the columns it needs.
	Kinds map[string]Kind
	// Delimiter forces the delimiter (0 = detect). It must be a single-byte character.
	Delimiter rune
	// Encoding forces the text encoding of delimited text ("" = detect): one of the
	// Encoding* names; "latin-1" and "iso-8859-1" read as windows-1252. A byte order
	// mark matching the encoding is skipped.
	Encoding string
	// MaxBytes stops reading once the input (decompressed, for a compressed
	// file) passes this many bytes (0 = no limit).
	MaxBytes int64
	// MaxRecordBytes is the longest record (line, or lines joined by a quoted
	// field) accepted; 0 means DefaultMaxRecordBytes.
	MaxRecordBytes int
	// Progress, when set, is called from the reading goroutine after each
	// chunk of input and once at the end (Done set).
	Progress func(Progress)
}

// DefaultMaxRecordBytes is the default bound on one record's length: a
// longer "line" is almost always a file that is not delimited text.
const DefaultMaxRecordBytes = 64 << 20

// Progress reports how far a read has gone.
type Progress struct {
	Bytes   int64         // bytes of the file read so far (compressed bytes for a compressed file)
	Total   int64         // the file's size in bytes (0 when unknown)
	Rows    int           // data rows read so far
	Elapsed time.Duration // since the read started
	Done    bool          // the read has finished (successfully or not)
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

// Read reads the table at path into a Frame: a delimited text file (plain or
// gzip-compressed), a Parquet file, or a directory of part files of one of
// those formats (what Spark writes), chosen by the file's first bytes (see
// RegisterFormat). Frame.SHA256 is the hex sha256 of the file's bytes as
// stored on disk.
func Read(path string, opt Options) (*Frame, error) {
	return ReadContext(context.Background(), path, opt)
}

// ReadContext is Read bounded by ctx: reading stops between chunks once ctx
// is done, returning an error that wraps context.Cause(ctx).
func ReadContext(ctx context.Context, path string, opt Options) (*Frame, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read dataset: %w", err)
	}
	if st.IsDir() {
		return readDir(ctx, path, opt)
	}
	if !st.Mode().IsRegular() {
		return nil, &ParseError{File: path, Msg: fmt.Sprintf("not a regular file (%s): expected a data file or a directory of part files", st.Mode().Type())}
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read dataset: %w", err)
	}
	defer fh.Close()
	return readInput(ctx, path, fh, st.Size(), opt)
}

// ReadBytes parses data as the content of a data file in one of the
// registered formats; name is used in errors and as Frame.Path.
func ReadBytes(name string, data []byte, opt Options) (*Frame, error) {
	return readInput(context.Background(), name, bytes.NewReader(data), int64(len(data)), opt)
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

// readInput sniffs the format of one file and reads it.
func readInput(ctx context.Context, name string, r io.ReaderAt, size int64, opt Options) (*Frame, error) {
	head := make([]byte, min(size, 64))
	if _, err := r.ReadAt(head, 0); err != nil && err != io.EOF {
		return nil, fmt.Errorf("read dataset %s: %w", name, err)
	}
	fm := sniff(head)
	f, err := fm.Read(ctx, Input{Name: name, R: r, Size: size}, opt)
	if err != nil {
		return nil, err
	}
	f.Format = fm.Name
	return f, nil
}

// Sizes of the delimited reader's windows.
const (
	chunkBytes = 1 << 20  // bytes added to the window per read
	sniffLines = 64       // lines wanted in the first window for delimiter detection
	sniffMax   = 16 << 20 // ... unless the window reaches this size
)

// readDelimited reads delimited text; gz says the bytes are gzip-compressed.
func readDelimited(ctx context.Context, in Input, opt Options, gz bool) (*Frame, error) {
	start := time.Now()
	fail := func(line int, col string, field int, format string, args ...any) error {
		return &ParseError{File: in.Name, Line: line, Column: col, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	src := newSource(in, gz, opt.MaxBytes)
	defer src.close()
	d := &delimited{name: in.Name, src: src, opt: opt}
	if err := d.open(); err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(d.buf)) == 0 && d.eof {
		return nil, fail(0, "", 0, "the file is empty: expected a header line naming the columns, then data rows")
	}
	switch {
	case opt.Delimiter == 0:
		d.delim = detectDelimiter(d.window(), d.eof)
	case opt.Delimiter < utf8.RuneSelf && opt.Delimiter != '"' && opt.Delimiter != '\n' && opt.Delimiter != '\r':
		d.delim = byte(opt.Delimiter)
	default:
		return nil, fail(0, "", 0, "delimiter %q is not supported: expected a single ASCII character other than a quote or line break", opt.Delimiter)
	}
	if err := d.check(); err != nil {
		return nil, err
	}

	// The header.
	sc := &scanner{line: 1, delim: d.delim}
	var header []string
	for {
		sc.s, sc.pos, sc.final = d.window(), 0, d.eof
		fields, _, st, serr := sc.next(nil)
		if serr != nil {
			return nil, fail(serr.line, "", serr.field+1, "in the header: %s", serr.msg)
		}
		if st == scanMore {
			if err := d.more(sc, ctx); err != nil {
				return nil, err
			}
			continue
		}
		header = make([]string, len(fields))
		for j, h := range fields {
			header[j] = strings.Clone(h)
		}
		d.consume(sc.pos)
		break
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
	d.header = header

	// Rows, a window at a time: the records found in a window are handed to
	// the column builders (in parallel by column) before the window moves on.
	est := 1024
	if in.Size > 0 && len(d.buf) > 0 && sc.line > 1 {
		est = int(min(int64(1<<26), in.Size/int64(max(1, len(d.buf)/max(1, bytes.Count(d.buf, []byte{'\n'}))))) + 16)
	}
	b := make([]*builder, len(header))
	for j, h := range header {
		b[j] = newBuilder(h, d.delim == ';', est)
	}
	lines := make([]int32, 0, est)
	var batch []string
	fields := make([]string, 0, len(header))
	progress := func(done bool) {
		if opt.Progress != nil {
			opt.Progress(Progress{Bytes: src.read.Load(), Total: in.Size, Rows: len(lines), Elapsed: time.Since(start), Done: done})
		}
	}
	defer progress(true)
	for {
		sc.s, sc.pos, sc.final = d.window(), 0, d.eof
		batch = batch[:0]
		for {
			var line, st int
			var serr *scanError
			begin := sc.pos
			fields, line, st, serr = sc.next(fields)
			if st == scanOK && sc.pos-begin > d.maxRecord() {
				return nil, d.tooLong(line)
			}
			if serr != nil {
				col := ""
				if serr.field < len(header) {
					col = header[serr.field]
				}
				return nil, fail(serr.line, col, serr.field+1, "%s", serr.msg)
			}
			if st != scanOK {
				break
			}
			if len(fields) != len(header) {
				return nil, raggedError(in.Name, line, header, len(fields), d.delim)
			}
			batch = append(batch, fields...)
			lines = append(lines, int32(line))
		}
		feed(b, batch)
		d.consume(sc.pos)
		if d.eof && len(d.buf) == 0 {
			break
		}
		progress(false)
		if err := d.more(sc, ctx); err != nil {
			return nil, err
		}
	}
	if len(lines) == 0 {
		return nil, fail(1, "", 0, "the file has a header but no data rows: expected at least one row after the header")
	}
	sum, err := src.sum()
	if err != nil {
		return nil, d.ioError(err)
	}
	f := &Frame{Path: in.Name, SHA256: sum, Encoding: d.encoding, Delimiter: rune(d.delim), lines: lines}
	if err := finish(f, b, opt.Kinds); err != nil {
		return nil, err
	}
	return f, nil
}

// feed hands a batch of records (len(b) fields each) to the builders, by
// column in parallel when the batch is large.
func feed(b []*builder, batch []string) {
	n := len(b)
	if len(batch) == 0 {
		return
	}
	one := func(j int) {
		bj := b[j]
		for k := j; k < len(batch); k += n {
			bj.add(batch[k])
		}
	}
	parallel(n, len(batch) >= 20000, one)
}

// finish turns the builders into the frame's columns (in parallel), applies
// forced kinds and sets DecimalComma. The error is the leftmost column's.
func finish(f *Frame, b []*builder, kinds map[string]Kind) error {
	f.Columns = make([]*Column, len(b))
	comma := make([]bool, len(b))
	errs := make([]error, len(b))
	one := func(j int) {
		f.Columns[j], comma[j] = b[j].finish()
		if k, forced := kinds[b[j].name]; forced {
			comma[j], errs[j] = force(f, j, k, b[j].fromNumbers, comma[j])
		}
		b[j] = nil
	}
	parallel(len(b), len(b) > 0 && len(b[0].missing)*len(b) >= 20000, one)
	for j := range b {
		if errs[j] != nil {
			return errs[j]
		}
		f.DecimalComma = f.DecimalComma || comma[j]
	}
	return nil
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

// delimited is the window of decoded text a delimited read scans: buf holds
// the input from the start of the next record on.
type delimited struct {
	name     string
	src      *source
	opt      Options
	r        io.Reader // decoded text
	buf      []byte
	eof      bool
	line     int  // physical line at buf[0]
	checked  int  // buf[:checked] holds valid UTF-8 without NUL
	crOnly   bool // classic Mac line endings: CR is turned into LF
	delim    byte
	header   []string
	encoding string
}

// window returns buf as a string sharing its bytes: the scanner's fields
// point into it until the window moves (consume copies what stays).
func (d *delimited) window() string {
	if len(d.buf) == 0 {
		return ""
	}
	return unsafe.String(&d.buf[0], len(d.buf))
}

// open reads the first window, detects the encoding and line endings, and
// sets up decoding.
func (d *delimited) open() error {
	d.line = 1
	d.r = d.src
	if err := d.fill(chunkBytes, true); err != nil {
		return err
	}
	enc, skip := detectEncoding(d.buf, d.eof)
	if d.opt.Encoding != "" {
		var ok bool
		if enc, skip, ok = namedEncoding(d.opt.Encoding, d.buf); !ok {
			return &ParseError{File: d.name, Msg: fmt.Sprintf("encoding %q is not supported: expected %s", d.opt.Encoding, strings.Join(Encodings, ", "))}
		}
	}
	d.encoding = enc.name
	if enc.decoder != nil || skip > 0 {
		rest := io.MultiReader(bytes.NewReader(bytes.Clone(d.buf[skip:])), d.src)
		d.r = rest
		if enc.decoder != nil {
			d.r = enc.decoder(rest)
		}
		d.buf, d.eof = d.buf[:0], false
		if err := d.fill(chunkBytes, true); err != nil {
			return err
		}
	}
	if bytes.IndexByte(d.buf, '\n') < 0 && bytes.IndexByte(d.buf, '\r') >= 0 {
		d.crOnly = true
		crToLF(d.buf)
	}
	return nil
}

func crToLF(b []byte) {
	for i, c := range b {
		if c == '\r' {
			b[i] = '\n'
		}
	}
}

// fill reads until buf has grown by at least n bytes or the input ends; the
// first window also reads until it holds sniffLines lines.
func (d *delimited) fill(n int, first bool) error {
	want := len(d.buf) + n
	for !d.eof {
		if len(d.buf) >= want && (!first || len(d.buf) >= sniffMax || bytes.Count(d.buf, []byte{'\n'}) >= sniffLines) {
			break
		}
		if cap(d.buf)-len(d.buf) < min(chunkBytes/4, int(d.src.size)+1) {
			nb := make([]byte, len(d.buf), max(2*cap(d.buf), len(d.buf)+min(chunkBytes, int(d.src.size)+512)))
			copy(nb, d.buf)
			d.buf = nb
		}
		k, err := d.r.Read(d.buf[len(d.buf):cap(d.buf)])
		if d.crOnly {
			crToLF(d.buf[len(d.buf) : len(d.buf)+k])
		}
		d.buf = d.buf[:len(d.buf)+k]
		if err == io.EOF {
			d.eof = true
		} else if err != nil {
			return d.ioError(err)
		}
	}
	return nil
}

func (d *delimited) ioError(err error) error {
	var pe *ParseError
	if errors.As(err, &pe) {
		return pe
	}
	if errors.Is(err, errTooLarge) {
		return &ParseError{File: d.name, Msg: fmt.Sprintf("the data is larger than the limit of %d bytes", d.opt.MaxBytes)}
	}
	if d.src.gz {
		return &ParseError{File: d.name, Msg: "the gzip-compressed data cannot be read: " + err.Error()}
	}
	return fmt.Errorf("read dataset %s: %w", d.name, err)
}

// consume drops buf[:pos] (records already scanned), counting its lines.
func (d *delimited) consume(pos int) {
	d.line += bytes.Count(d.buf[:pos], []byte{'\n'})
	n := copy(d.buf, d.buf[pos:])
	d.buf = d.buf[:n]
	d.checked = max(0, d.checked-pos)
}

// more reads the next chunk into the window (a record that did not fit
// makes the window grow, up to MaxRecordBytes) and checks its bytes.
func (d *delimited) more(sc *scanner, ctx context.Context) error {
	if err := context.Cause(ctx); err != nil {
		return fmt.Errorf("read %s: %w", d.name, err)
	}
	if len(d.buf) > d.maxRecord() {
		return d.tooLong(d.line)
	}
	if err := d.fill(chunkBytes, false); err != nil {
		return err
	}
	return d.check()
}

func (d *delimited) maxRecord() int {
	if d.opt.MaxRecordBytes > 0 {
		return d.opt.MaxRecordBytes
	}
	return DefaultMaxRecordBytes
}

func (d *delimited) tooLong(line int) error {
	return &ParseError{File: d.name, Line: line, Msg: fmt.Sprintf("a record longer than %d MB (no line break outside quotes): expected delimited text with one record per line (is a quote left open, or is this not a delimited text file?)", d.maxRecord()>>20)}
}

// check rejects NUL bytes (binary files) and invalid UTF-8 in the part of the
// window not yet checked, naming the line and, when it can be told from the
// line, the column.
func (d *delimited) check() error {
	end := len(d.buf)
	if !d.eof { // leave a rune cut by the window's end for the next check
		for k := 1; k <= 3 && end-k >= d.checked; k++ {
			if utf8.RuneStart(d.buf[end-k]) {
				if !utf8.FullRune(d.buf[end-k:]) {
					end -= k
				}
				break
			}
		}
	}
	part := d.buf[d.checked:end]
	bad, msg := bytes.IndexByte(part, 0), ""
	if bad >= 0 {
		msg = "NUL byte: this looks like a binary file; expected delimited text"
	}
	if bad < 0 || !utf8.Valid(part[:bad]) {
		if utf8.Valid(part) {
			d.checked = end
			return nil
		}
		bad = invalidUTF8(part)
		msg = fmt.Sprintf("invalid UTF-8 byte 0x%02x: expected UTF-8 text (this is a binary file, or text in a legacy encoding that must be converted to UTF-8)", part[bad])
	}
	bad += d.checked
	s := d.buf
	lineStart := bytes.LastIndexByte(s[:bad], '\n') + 1
	line := d.line + bytes.Count(s[:lineStart], []byte{'\n'})
	field, inQuote := 0, false
	for i := lineStart; i < bad; i++ {
		switch s[i] {
		case '"':
			inQuote = !inQuote
		case d.delim:
			if !inQuote {
				field++
			}
		}
	}
	header := d.header
	if header == nil && d.delim != 0 {
		hs := newScanner(d.window(), d.delim)
		header, _, _, _ = hs.next(nil)
	}
	e := &ParseError{File: d.name, Line: line, Field: field + 1, Msg: msg}
	if line > 1 && field < len(header) && utf8.ValidString(header[field]) {
		e.Column = header[field]
	}
	return e
}

func invalidUTF8(s []byte) int {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(s)
}
