package main

import (
	"context"
	"fmt"
	"io"

	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/notebookgen"
	"github.com/goautoml/automl/onnx"
	"github.com/goautoml/automl/store"
)

// cmdExportONNX writes a trial's bundle as one ONNX model:
// automl export onnx runs/<exp>/trials/<id> -o model.onnx.
func cmdExportONNX(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("export onnx", stderr)
	out := fs.String("o", "model.onnx", "file to write the ONNX model to")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: automl export onnx runs/<experiment>/trials/<id> [-o model.onnx]")
		fmt.Fprintln(stderr, "  (runs/<experiment>/best names the best trial)")
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("expected the trial folder: automl export onnx runs/<experiment>/trials/<id> -o model.onnx")
	}
	data, err := onnxModel(pos[0])
	if err != nil {
		return err
	}
	if err := store.WriteFile(*out, data); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ONNX model written to %s (%d bytes)\n", *out, len(data))
	return nil
}

// onnxModel encodes the bundle in dir as ONNX.
func onnxModel(dir string) ([]byte, error) {
	m, err := bundle.Load(dir)
	if err != nil {
		return nil, err
	}
	return onnx.FromModel(m, binaryVersion())
}

// binaryVersion is the module version this binary was built from.
func binaryVersion() string { return notebookgen.BinaryVersion() }
