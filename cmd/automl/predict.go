package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/dataset"
)

func cmdPredict(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("predict", stderr)
	model := fs.String("model", "", "trial folder or bundle (runs/<exp>/trials/<id>, or runs/<exp>/best)")
	data := fs.String("data", "", "CSV file with the rows to score (required)")
	out := fs.String("out", "", "file to write the predictions to (default: standard output)")
	digits := fs.Int("digits", 10, "significant digits of the probabilities (-1: the fewest that read back as the exact value)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if *model == "" || *data == "" {
		return usagef("--model and --data are required")
	}
	if *digits < -1 || *digits == 0 || *digits > 17 {
		return usagef("--digits %d: want 1..17, or -1 for exact values", *digits)
	}
	path, err := bundleOrRecreate(ctx, *model, stderr)
	if err != nil {
		return err
	}
	m, err := bundle.Load(path)
	if err != nil {
		return err
	}
	f, err := dataset.ReadContext(ctx, *data, dataset.Options{Kinds: m.Kinds(), Progress: readBar(stderr, *data, false)})
	if err != nil {
		return err
	}
	if err := hasInputs(f, m, *data); err != nil {
		return err
	}
	p, err := m.PredictProba(f)
	if err != nil {
		return fmt.Errorf("%s: %w", *data, err)
	}
	w := stdout
	var file *os.File
	if *out != "" {
		if file, err = os.Create(*out); err != nil {
			return err
		}
		w = file
	}
	cw := csv.NewWriter(w)
	head := []string{"row", "prediction"}
	for _, c := range m.Classes {
		head = append(head, "probability_"+c)
	}
	cw.Write(head)
	rows, k := p.Dims()
	rec := make([]string, 2+k)
	for i := range rows {
		best := m.Label(p.RawRowView(i))
		rec[0], rec[1] = strconv.Itoa(i+1), m.Classes[best]
		for j := range k {
			rec[2+j] = strconv.FormatFloat(p.At(i, j), 'g', *digits, 64)
		}
		cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if file != nil {
		if err := file.Close(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%d predictions written to %s\n", rows, *out)
	}
	return nil
}

// hasInputs checks that the file has every column the model was trained
// on, and names the missing ones.
func hasInputs(f *dataset.Frame, m *bundle.Model, name string) error {
	var missing, want []string
	for _, c := range m.Inputs {
		want = append(want, strconv.Quote(c.Name))
		if f.Column(c.Name) == nil {
			missing = append(missing, strconv.Quote(c.Name))
		}
	}
	switch {
	case len(missing) == 1:
		return fmt.Errorf("%s: the column %s is missing: the model was trained with it, so every row to score needs it (the model's columns: %s)", name, missing[0], strings.Join(want, ", "))
	case len(missing) > 1:
		return fmt.Errorf("%s: %d columns are missing: %s; the model was trained with them, so every row to score needs them (the model's columns: %s)", name, len(missing), strings.Join(missing, ", "), strings.Join(want, ", "))
	}
	return nil
}
