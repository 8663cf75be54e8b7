package dataset

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// adultSized repeats the committed 1,000-row adult slice to 48,000 data
// rows, about the size of the full adult.csv (48,842 rows, 5.3 MB).
func adultSized(b *testing.B) []byte {
	b.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "adult_slice.csv"))
	if err != nil {
		b.Fatal(err)
	}
	i := bytes.IndexByte(data, '\n') + 1
	header, rows := data[:i], data[i:]
	var buf bytes.Buffer
	buf.Write(header)
	for range 48 {
		buf.Write(rows)
	}
	return buf.Bytes()
}

func BenchmarkRead(b *testing.B) {
	data := adultSized(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var rows int
	for b.Loop() {
		f, err := ReadBytes("adult48k.csv", data, Options{})
		if err != nil {
			b.Fatal(err)
		}
		rows = f.NumRows()
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkProfile(b *testing.B) {
	f, err := ReadBytes("adult48k.csv", adultSized(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		ProfileFrame(f)
	}
	b.ReportMetric(float64(f.NumRows())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkSplit(b *testing.B) {
	f, err := ReadBytes("adult48k.csv", adultSized(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	tg, err := EncodeTarget(f, "class", "")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := MakeSplit(f, tg.Rows, tg.Y, SplitSpec{Seed: 1, CV: 5}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadFile reads the file named by AUTOML_BENCH_FILE (such as the
// tables of `make bench-data`); skipped when unset.
func BenchmarkReadFile(b *testing.B) {
	path := os.Getenv("AUTOML_BENCH_FILE")
	if path == "" {
		b.Skip("AUTOML_BENCH_FILE not set")
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	for b.Loop() {
		if _, err := Read(path, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
