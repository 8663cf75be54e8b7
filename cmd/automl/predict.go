package main

import (
	"context"
	"fmt"
	"io"
	"os"

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
	if err := m.CheckInputs(f, *data); err != nil {
		return err
	}
	w := stdout
	var file *os.File
	if *out != "" {
		if file, err = os.Create(*out); err != nil {
			return err
		}
		w = file
	}
	rows, err := m.WritePredictions(w, f, *data, *digits)
	if err != nil {
		if file != nil {
			file.Close()
		}
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
