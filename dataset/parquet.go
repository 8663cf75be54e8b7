package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// A Parquet file is read column by column into the same builders as
// delimited text, each value turned into what a CSV export of the table would
// hold: numbers as numbers, booleans as true/false, dates as 2006-01-02,
// timestamps as RFC 3339, decimals as their exact decimal text, strings
// trimmed, nulls missing. So a Parquet file and the CSV of the same table
// give the same typed frame (see Frame.DataHash), and kinds are inferred by
// the same rules.

func readParquet(ctx context.Context, in Input, opt Options) (*Frame, error) {
	return readParquetParts(ctx, in.Name, []Input{in}, opt)
}

// readDir reads a directory of part files (what Spark and warehouses write)
// as one table: the files whose names do not start with '_' or '.', in name
// order, all of one format.
func readDir(ctx context.Context, dir string, opt Options) (*Frame, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read dataset: %w", err)
	}
	var parts []Input
	var files []*os.File
	defer func() {
		for _, fh := range files {
			fh.Close()
		}
	}()
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, "_") || strings.HasPrefix(n, ".") || !e.Type().IsRegular() {
			continue
		}
		fh, err := os.Open(filepath.Join(dir, n))
		if err != nil {
			return nil, fmt.Errorf("read dataset: %w", err)
		}
		files = append(files, fh)
		st, err := fh.Stat()
		if err != nil {
			return nil, fmt.Errorf("read dataset: %w", err)
		}
		parts = append(parts, Input{Name: filepath.Join(dir, n), R: fh, Size: st.Size()})
	}
	if len(parts) == 0 {
		return nil, &ParseError{File: dir, Msg: "the directory holds no data file: expected part files (names not starting with _ or .)"}
	}
	head := make([]byte, 4)
	for _, p := range parts {
		if k, _ := p.R.ReadAt(head, 0); k < 4 || string(head) != "PAR1" {
			if len(parts) == 1 {
				return readInput(ctx, p.Name, p.R, p.Size, opt)
			}
			return nil, &ParseError{File: p.Name, Msg: "not a Parquet file: a directory is read as the Parquet part files of one table"}
		}
	}
	return readParquetParts(ctx, dir, parts, opt)
}

// pqColumn is one top-level column of the table and how its values become cells.
type pqColumn struct {
	name   string
	leaf   int // index among the file's leaf columns
	typ    parquet.Type
	value  func(b *builder, v parquet.Value)
	double bool // plain doubles: pages are appended in bulk
	maxDef byte
}

func readParquetParts(ctx context.Context, name string, parts []Input, opt Options) (*Frame, error) {
	start := time.Now()
	files := make([]*parquet.File, len(parts))
	var cols []pqColumn
	var total int64
	for i, p := range parts {
		pf, err := parquet.OpenFile(p.R, p.Size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
		if err != nil {
			return nil, &ParseError{File: p.Name, Msg: "not a readable Parquet file: " + err.Error()}
		}
		files[i] = pf
		pc, err := parquetColumns(p.Name, pf)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			cols = pc
		} else if err := sameSchema(p.Name, cols, pc); err != nil {
			return nil, err
		}
		total += pf.NumRows()
	}
	if len(cols) == 0 {
		return nil, &ParseError{File: name, Msg: "the Parquet file has no columns"}
	}
	if total == 0 {
		return nil, &ParseError{File: name, Msg: "the Parquet file has no rows: expected at least one"}
	}
	if opt.MaxBytes > 0 {
		var size int64
		for _, p := range parts {
			size += p.Size
		}
		if size > opt.MaxBytes {
			return nil, &ParseError{File: name, Msg: fmt.Sprintf("the data is larger than the limit of %d bytes", opt.MaxBytes)}
		}
	}

	// The stored bytes' hash, alongside the decoding.
	var sum string
	var sumErr error
	var hashing sync.WaitGroup
	hashing.Go(func() {
		h := sha256.New()
		for _, p := range parts {
			if _, err := io.Copy(h, io.NewSectionReader(p.R, 0, p.Size)); err != nil {
				sumErr = err
				return
			}
		}
		sum = hex.EncodeToString(h.Sum(nil))
	})

	b := make([]*builder, len(cols))
	for j, c := range cols {
		b[j] = newBuilder(c.name, false, int(total))
	}
	var done atomic.Int64 // values read, over all columns
	errs := make([]error, len(cols))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(cols)) {
		wg.Go(func() {
			for j := int(next.Add(1) - 1); j < len(cols); j = int(next.Add(1) - 1) {
				errs[j] = readParquetColumn(ctx, parts, files, cols[j], b[j], &done)
			}
		})
	}
	if opt.Progress != nil {
		stop := make(chan struct{})
		var ticker sync.WaitGroup
		ticker.Go(func() {
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					frac := float64(done.Load()) / float64(total*int64(len(cols)))
					var size int64
					for _, p := range parts {
						size += p.Size
					}
					opt.Progress(Progress{Bytes: int64(frac * float64(size)), Total: size, Rows: int(frac * float64(total)), Elapsed: time.Since(start)})
				}
			}
		})
		defer func() {
			close(stop)
			ticker.Wait()
			var size int64
			for _, p := range parts {
				size += p.Size
			}
			opt.Progress(Progress{Bytes: size, Total: size, Rows: int(total), Elapsed: time.Since(start), Done: true})
		}()
	}
	wg.Wait()
	hashing.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if sumErr != nil {
		return nil, fmt.Errorf("read dataset %s: %w", name, sumErr)
	}
	f := &Frame{Path: name, SHA256: sum}
	if err := finish(f, b, opt.Kinds); err != nil {
		return nil, err
	}
	return f, nil
}

func readParquetColumn(ctx context.Context, parts []Input, files []*parquet.File, c pqColumn, b *builder, done *atomic.Int64) error {
	buf := make([]parquet.Value, 4096)
	for i, pf := range files {
		for _, rg := range pf.RowGroups() {
			pages := rg.ColumnChunks()[c.leaf].Pages()
			for {
				if err := context.Cause(ctx); err != nil {
					pages.Close()
					return fmt.Errorf("read %s: %w", parts[i].Name, err)
				}
				page, err := pages.ReadPage()
				if err == io.EOF {
					break
				}
				if err != nil {
					pages.Close()
					return &ParseError{File: parts[i].Name, Column: c.name, Msg: "cannot read a page of this column: " + err.Error()}
				}
				if data := page.Data(); c.double && page.Dictionary() == nil && b.addDoubles(data.Double(), page.DefinitionLevels(), c.maxDef) {
					done.Add(page.NumValues())
					parquet.Release(page)
					continue
				}
				vr := page.Values()
				for {
					k, err := vr.ReadValues(buf)
					for _, v := range buf[:k] {
						if v.IsNull() {
							b.add("")
						} else {
							c.value(b, v)
						}
					}
					done.Add(int64(k))
					if err == io.EOF {
						break
					}
					if err != nil {
						parquet.Release(page)
						pages.Close()
						return &ParseError{File: parts[i].Name, Column: c.name, Msg: "cannot decode this column: " + err.Error()}
					}
				}
				parquet.Release(page)
			}
			pages.Close()
		}
	}
	return nil
}

func sameSchema(part string, want, got []pqColumn) error {
	if len(want) != len(got) {
		return &ParseError{File: part, Msg: fmt.Sprintf("this part has %d columns, the first part %d: expected the parts of one table", len(got), len(want))}
	}
	for j := range want {
		if want[j].name != got[j].name || want[j].typ.String() != got[j].typ.String() {
			return &ParseError{File: part, Column: got[j].name, Field: j + 1,
				Msg: fmt.Sprintf("column %d is %s %s in this part but %s %s in the first: expected the parts of one table", j+1, got[j].name, got[j].typ, want[j].name, want[j].typ)}
		}
	}
	return nil
}

// parquetColumns maps the file's top-level columns to cell converters.
func parquetColumns(file string, pf *parquet.File) ([]pqColumn, error) {
	var out []pqColumn
	seen := map[string]bool{}
	for j, col := range pf.Root().Columns() {
		name := col.Name()
		bad := func(msg string) error {
			return &ParseError{File: file, Column: name, Field: j + 1, Msg: msg}
		}
		if !col.Leaf() || col.Repeated() {
			return nil, bad("a nested or repeated column: expected flat columns of numbers, strings, booleans, dates, timestamps or decimals")
		}
		if name == "" || seen[name] {
			return nil, bad("an empty or duplicate column name: expected unique names")
		}
		seen[name] = true
		conv, err := converter(col.Type())
		if err != nil {
			return nil, bad(err.Error())
		}
		double := col.Type().Kind() == parquet.Double && col.Type().LogicalType() == nil
		out = append(out, pqColumn{name: name, leaf: col.Index(), typ: col.Type(), value: conv, double: double, maxDef: byte(col.MaxDefinitionLevel())})
	}
	return out, nil
}

// converter returns how a value of type t becomes a cell.
func converter(t parquet.Type) (func(*builder, parquet.Value), error) {
	var lt any
	if l := t.LogicalType(); l != nil {
		lt = l.Value
	}
	switch l := lt.(type) {
	case *format.DateType:
		return func(b *builder, v parquet.Value) {
			b.add(time.Unix(int64(v.Int32())*86400, 0).UTC().Format("2006-01-02"))
		}, nil
	case *format.TimestampType:
		unit := l.Unit.Value.Duration()
		layout := "2006-01-02 15:04:05.999999999"
		if l.IsAdjustedToUTC {
			layout = time.RFC3339Nano
		}
		return func(b *builder, v parquet.Value) {
			n := v.Int64()
			per := int64(time.Second / unit)
			b.add(time.Unix(n/per, n%per*int64(unit)).UTC().Format(layout))
		}, nil
	case *format.TimeType:
		unit := l.Unit.Value.Duration()
		return func(b *builder, v parquet.Value) {
			var n int64
			if t.Kind() == parquet.Int32 {
				n = int64(v.Int32())
			} else {
				n = v.Int64()
			}
			b.add(time.Unix(0, n*int64(unit)).UTC().Format("15:04:05.999999999"))
		}, nil
	case *format.DecimalType:
		scale := int(l.Scale)
		return func(b *builder, v parquet.Value) {
			var x *big.Int
			switch t.Kind() {
			case parquet.Int32:
				x = big.NewInt(int64(v.Int32()))
			case parquet.Int64:
				x = big.NewInt(v.Int64())
			default:
				x = twosComplement(v.ByteArray())
			}
			b.add(decimalText(x, scale))
		}, nil
	case *format.IntType:
		if !l.IsSigned && l.BitWidth == 64 {
			return func(b *builder, v parquet.Value) { b.add(strconv.FormatUint(uint64(v.Int64()), 10)) }, nil
		}
		if !l.IsSigned && l.BitWidth == 32 {
			return func(b *builder, v parquet.Value) { b.addNumber(float64(uint32(v.Int32()))) }, nil
		}
	case *format.StringType, *format.EnumType, *format.JsonType, nil:
	default:
		if t.Kind() == parquet.ByteArray || t.Kind() == parquet.FixedLenByteArray {
			return nil, fmt.Errorf("the Parquet logical type %s is not supported: expected numbers, strings, booleans, dates, timestamps or decimals", lt)
		}
	}
	switch t.Kind() {
	case parquet.Boolean:
		return func(b *builder, v parquet.Value) {
			if v.Boolean() {
				b.add("true")
			} else {
				b.add("false")
			}
		}, nil
	case parquet.Int32:
		return func(b *builder, v parquet.Value) { b.addNumber(float64(v.Int32())) }, nil
	case parquet.Int64:
		return func(b *builder, v parquet.Value) {
			if n := v.Int64(); n > -1<<53 && n < 1<<53 {
				b.addNumber(float64(n))
			} else {
				b.add(strconv.FormatInt(n, 10))
			}
		}, nil
	case parquet.Float:
		return func(b *builder, v parquet.Value) {
			b.add(strconv.FormatFloat(float64(v.Float()), 'f', -1, 32))
		}, nil
	case parquet.Double:
		return func(b *builder, v parquet.Value) {
			if x := v.Double(); !math.IsInf(x, 0) {
				b.addNumber(x)
			} else {
				b.add(strconv.FormatFloat(x, 'f', -1, 64))
			}
		}, nil
	case parquet.Int96: // legacy Spark/Impala timestamps: nanoseconds of the day, Julian day
		return func(b *builder, v parquet.Value) {
			i := v.Int96()
			nanos := int64(i[1])<<32 | int64(i[0])
			day := int64(i[2]) - 2440588
			b.add(time.Unix(day*86400, nanos).UTC().Format(time.RFC3339Nano))
		}, nil
	case parquet.ByteArray, parquet.FixedLenByteArray:
		return func(b *builder, v parquet.Value) {
			raw := v.ByteArray()
			if len(raw) == 0 {
				b.add("")
				return
			}
			b.add(strings.TrimSpace(unsafe.String(&raw[0], len(raw))))
		}, nil
	}
	return nil, errors.New("a column type that is not supported")
}

// twosComplement reads a big-endian two's complement integer.
func twosComplement(raw []byte) *big.Int {
	x := new(big.Int).SetBytes(raw)
	if len(raw) > 0 && raw[0]&0x80 != 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(raw))))
	}
	return x
}

// decimalText writes unscaled x with scale fraction digits.
func decimalText(x *big.Int, scale int) string {
	s := new(big.Int).Abs(x).String()
	if scale > 0 {
		if len(s) <= scale {
			s = strings.Repeat("0", scale-len(s)+1) + s
		}
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	} else if scale < 0 {
		s += strings.Repeat("0", -scale)
	}
	if x.Sign() < 0 {
		s = "-" + s
	}
	return s
}
