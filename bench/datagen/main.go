// Command datagen writes the tables of `make bench-data`: rows × cols of
// seeded random data, two thirds numeric (normal and log-normal, 4 decimals),
// one third categorical (5 to 200 levels), about 2% of cells missing, and a
// binary target "y" as the last column that depends on the features (a
// logistic model with linear, interaction, threshold and categorical terms,
// about 20% positive, so a search has something to learn and AUCs differ
// between models); the same table as CSV (numbers in
// their shortest form, missing cells empty) and as Parquet (optional doubles
// and strings, nulls), so both files give the same typed frame.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"strconv"

	"github.com/parquet-go/parquet-go"
)

func main() {
	rows := flag.Int("rows", 300000, "rows")
	cols := flag.Int("cols", 30, "columns, the target included")
	seed := flag.Uint64("seed", 1, "random seed")
	out := flag.String("out", "bench", "output path without extension: writes OUT.csv and OUT.parquet")
	flag.Parse()
	if err := write(*rows, *cols, *seed, *out); err != nil {
		log.Fatal(err)
	}
}

type column struct {
	name   string
	levels []string // nil: numeric
	scale  float64
	logn   bool
}

func write(rows, cols int, seed uint64, out string) error {
	rng := rand.New(rand.NewPCG(seed, 0x64617461))
	spec := make([]column, cols)
	for j := range cols - 1 {
		c := column{name: fmt.Sprintf("f%02d", j), scale: math.Pow(10, float64(rng.IntN(5))-1), logn: j%4 == 1}
		if j%3 == 2 {
			n := []int{5, 12, 40, 200}[rng.IntN(4)]
			c.levels = make([]string, n)
			for k := range n {
				c.levels[k] = fmt.Sprintf("%s_v%03d", c.name, k)
			}
		}
		spec[j] = c
	}
	spec[cols-1] = column{name: "y", levels: []string{"no", "yes"}}

	csvFile, err := os.Create(out + ".csv")
	if err != nil {
		return err
	}
	defer csvFile.Close()
	w := bufio.NewWriterSize(csvFile, 1<<20)
	fields := make([]parquet.Field, 0, cols)
	group := parquet.Group{}
	for j, c := range spec {
		if j > 0 {
			w.WriteByte(',')
		}
		w.WriteString(c.name)
		if c.levels == nil {
			group[c.name] = parquet.Optional(parquet.Leaf(parquet.DoubleType))
		} else {
			group[c.name] = parquet.Optional(parquet.String())
		}
	}
	_ = fields
	w.WriteByte('\n')
	schema := parquet.NewSchema("bench", group)
	pqFile, err := os.Create(out + ".parquet")
	if err != nil {
		return err
	}
	defer pqFile.Close()
	pw := parquet.NewGenericWriter[any](pqFile, schema, parquet.Compression(&parquet.Snappy))
	// Parquet columns are in the schema's order (sorted by name); CSV in spec order.
	order := make([]int, cols)
	for k, f := range schema.Fields() {
		for j, c := range spec {
			if c.name == f.Name() {
				order[k] = j
			}
		}
	}
	const batch = 4096
	buf := make([]parquet.Row, 0, batch)
	vals := make([]parquet.Value, cols)
	var num []byte
	z := make([]float64, cols) // each feature standardized (0 when missing), for the target
	for i := range rows {
		for j, c := range spec {
			missing := c.name != "y" && rng.Float64() < 0.02
			var v parquet.Value
			if j > 0 {
				w.WriteByte(',')
			}
			switch {
			case missing:
				v = parquet.NullValue()
			case c.name == "y":
				k := 0
				if rng.Float64() < 1/(1+math.Exp(-logit(z))) {
					k = 1
				}
				w.WriteString(c.levels[k])
				v = parquet.ByteArrayValue([]byte(c.levels[k]))
			case c.levels != nil:
				// Skewed levels: the first ones are the most frequent.
				k := min(len(c.levels)-1, int(math.Abs(rng.NormFloat64())*float64(len(c.levels))/3))
				z[j] = float64(k%5) - 2
				w.WriteString(c.levels[k])
				v = parquet.ByteArrayValue([]byte(c.levels[k]))
			default:
				n := rng.NormFloat64()
				x := n * c.scale
				if c.logn {
					x = math.Exp(n) * c.scale
				}
				z[j] = n
				x = math.Round(x*1e4) / 1e4
				num = strconv.AppendFloat(num[:0], x, 'f', -1, 64)
				w.Write(num)
				v = parquet.DoubleValue(x)
			}
			vals[j] = v
		}
		clear(z)
		w.WriteByte('\n')
		row := make(parquet.Row, cols)
		for k, j := range order {
			row[k] = vals[j].Level(0, boolDef(!vals[j].IsNull()), k)
		}
		buf = append(buf, row)
		if len(buf) == batch || i == rows-1 {
			if _, err := pw.WriteRows(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if err := pw.Close(); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return nil
}

// logit is the target's log-odds from the standardized features (missing
// ones 0): a few linear terms, an interaction, a threshold and the levels of
// the first categorical columns, so that trees and linear models score
// differently.
func logit(z []float64) float64 {
	at := func(j int) float64 {
		if j < len(z)-1 {
			return z[j]
		}
		return 0
	}
	l := -1.9 + 0.8*at(0) - 0.5*at(1) + 0.6*at(3) + 0.7*at(4)*at(6)
	if at(7) > 0.5 {
		l += 0.9
	}
	l += 0.35*at(2) - 0.25*at(5) + 0.3*math.Abs(at(9))
	return l
}

func boolDef(present bool) int {
	if present {
		return 1
	}
	return 0
}
