package refcsv

import "math"

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
// Str holds every cell's text as read (trimmed of surrounding white space), for
// every kind; it is "" where the cell is missing. Num holds the parsed value
// for Numeric, Boolean (0 or 1) and Datetime (Unix seconds, UTC) columns and for
// ID columns read from integers, and is NaN where the cell is missing; it is
// nil for the other kinds. Missing marks
// the cells that held a missing marker (empty, NA, N/A, NaN, null, ?, blank).
type Column struct {
	Name    string    `json:"name"`
	Kind    Kind      `json:"kind"`
	Str     []string  `json:"-"`
	Num     []float64 `json:"-"`
	Missing []bool    `json:"-"`
}

// Len is the number of rows.
func (c *Column) Len() int { return len(c.Str) }

// IsMissing reports whether row i is missing.
func (c *Column) IsMissing(i int) bool { return c.Missing[i] }

// Float returns the numeric value of row i (NaN when missing or not numeric).
func (c *Column) Float(i int) float64 {
	if c.Num == nil {
		return math.NaN()
	}
	return c.Num[i]
}

// Frame is a columnar table read from one file.
type Frame struct {
	// Path is the file the frame was read from (as given by the caller).
	Path string `json:"path"`
	// SHA256 is the hex sha256 of the file's bytes.
	SHA256 string `json:"sha256"`
	// Delimiter is the detected field separator.
	Delimiter    rune      `json:"delimiter"`
	DecimalComma bool      `json:"decimal_comma"`
	Columns      []*Column `json:"columns"`

	lines []int // physical line on which each data row starts
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
	for i, c := range f.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Column returns the column named name, or nil.
func (f *Frame) Column(name string) *Column {
	if i := f.Index(name); i >= 0 {
		return f.Columns[i]
	}
	return nil
}
