package dataset

import (
	"math"
	"sync/atomic"
)

// Kind is the semantic type inferred for a column.
type Kind string

// The kinds a column can have.
const (
	Numeric     Kind = "numeric"
	Boolean     Kind = "boolean"
	Categorical Kind = "categorical"
	Datetime    Kind = "datetime"
	Text        Kind = "text"
	ID          Kind = "id"
)

// Column is one typed column of a Frame.
//
// Num holds the parsed value for Numeric, Boolean (0 or 1) and Datetime (Unix
// seconds, UTC) columns and for ID columns read from integers, and is NaN
// where the cell is missing; it is nil for the other kinds. Missing marks the
// cells that held a missing marker (empty, NA, N/A, NaN, null, ?, blank).
//
// String(r) is a cell's text as read (trimmed of surrounding white space),
// "" where the cell is missing. A column read from a file keeps no string per
// cell: string-valued cells are dictionary codes, and numbers are formatted
// on demand in the way the file wrote them. Str is only for columns built by
// hand (tests, callers assembling a frame); readers leave it nil.
type Column struct {
	Name    string    `json:"name"`
	Kind    Kind      `json:"kind"`
	Str     []string  `json:"-"`
	Num     []float64 `json:"-"`
	Missing []bool    `json:"-"`

	text cellText
}

// Len is the number of rows.
func (c *Column) Len() int {
	if c.Missing != nil {
		return len(c.Missing)
	}
	return len(c.Str)
}

// IsMissing reports whether row i is missing.
func (c *Column) IsMissing(i int) bool { return c.Missing[i] }

// Float returns the numeric value of row i (NaN when missing or not numeric).
func (c *Column) Float(i int) float64 {
	if c.Num == nil {
		return math.NaN()
	}
	return c.Num[i]
}

// String returns the text of row i as the file wrote it (trimmed), "" when
// the cell is missing.
func (c *Column) String(i int) string {
	if c.Str != nil {
		return c.Str[i]
	}
	return c.text.at(c, i)
}

// Frame is a columnar table read from one file.
type Frame struct {
	// Path is the file the frame was read from (as given by the caller).
	Path string `json:"path"`
	// SHA256 is the hex sha256 of the file's bytes as stored (for a directory
	// of parts, of the parts' bytes in name order).
	SHA256 string `json:"sha256"`
	// Format is the input format's name ("csv", "csv.gz", "parquet").
	Format string `json:"format"`
	// Encoding is the detected text encoding of a delimited file ("utf-8",
	// "utf-8-bom", "utf-16le", "utf-16be", "windows-1252"); "" for binary formats.
	Encoding string `json:"encoding,omitempty"`
	// Delimiter is the detected field separator (0 for formats without one).
	Delimiter    rune      `json:"delimiter"`
	DecimalComma bool      `json:"decimal_comma"`
	Columns      []*Column `json:"columns"`

	lines []int32      // physical line on which each data row starts (nil: row i+2)
	index atomic.Value // *columnIndex, made by Index for wide frames
}

// NumRows is the number of data rows (header excluded).
func (f *Frame) NumRows() int {
	if len(f.Columns) == 0 {
		return 0
	}
	return f.Columns[0].Len()
}

// Index returns the position of the column named name, or -1.
func (f *Frame) Index(name string) int {
	if len(f.Columns) >= indexMin {
		ix, _ := f.index.Load().(*columnIndex)
		if ix == nil || len(ix.cols) != len(f.Columns) || &ix.cols[0] != &f.Columns[0] {
			ix = newColumnIndex(f.Columns)
			f.index.Store(ix)
		}
		// A hit is checked, and a miss scans: Columns may have been
		// changed in place since the index was made.
		if i, ok := ix.at[name]; ok && i < len(f.Columns) && f.Columns[i].Name == name {
			return i
		}
	}
	for i, c := range f.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// indexMin is the number of columns from which Index looks names up in a
// map: preprocessing a table of 20,000 columns looks each one up, and the
// scans made that quadratic (seconds of a trial, going on after its
// deadline).
const indexMin = 64

// columnIndex maps names to positions in the columns slice it was made from.
type columnIndex struct {
	cols []*Column
	at   map[string]int
}

func newColumnIndex(cols []*Column) *columnIndex {
	ix := &columnIndex{cols: cols, at: make(map[string]int, len(cols))}
	for i, c := range cols {
		if _, dup := ix.at[c.Name]; !dup {
			ix.at[c.Name] = i
		}
	}
	return ix
}

// Column returns the column named name, or nil.
func (f *Frame) Column(name string) *Column {
	if i := f.Index(name); i >= 0 {
		return f.Columns[i]
	}
	return nil
}

// Line returns the physical line (1-based, header = 1) on which data row
// row starts, for messages about that row. For formats without lines it is
// the row's position counting the header as line 1.
func (f *Frame) Line(row int) int {
	if row < 0 || row >= f.NumRows() {
		return 0
	}
	if f.lines == nil {
		return row + 2
	}
	return int(f.lines[row])
}
