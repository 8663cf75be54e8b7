package dataset

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
)

// DataHash is the hex sha256 of the typed frame: every column's name and
// kind, then each cell as the preprocessing sees it (missing or not; the
// value for numeric, boolean and datetime columns, the text for the others).
// Unlike SHA256 it does not depend on how the table was stored: a Parquet
// file and the CSV of the same table have the same DataHash. (SHA256, the
// stored bytes' hash, stays what experiments record.)
func (f *Frame) DataHash() string {
	h := sha256.New()
	var buf []byte
	put := func(s string) {
		buf = binary.LittleEndian.AppendUint64(buf[:0], uint64(len(s)))
		h.Write(buf)
		h.Write([]byte(s))
	}
	for _, c := range f.Columns {
		put(c.Name)
		put(string(c.Kind))
		buf = buf[:0]
		for i := range c.Len() {
			switch {
			case c.Missing[i]:
				buf = append(buf, 0)
			case c.Num != nil:
				buf = binary.LittleEndian.AppendUint64(append(buf, 1), math.Float64bits(c.Num[i]))
			default:
				s := c.String(i)
				buf = binary.LittleEndian.AppendUint64(append(buf, 2), uint64(len(s)))
				buf = append(buf, s...)
			}
			if len(buf) > 1<<16 {
				h.Write(buf)
				buf = buf[:0]
			}
		}
		h.Write(buf)
	}
	return hex.EncodeToString(h.Sum(nil))
}
