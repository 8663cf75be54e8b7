package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/samples"
)

// TestExportONNXCommand: `export onnx` writes a model for an exportable family
// and names the family it cannot export. The numbers are checked against ONNX
// Runtime in package onnx.
func TestExportONNXCommand(t *testing.T) {
	gc, err := samples.WriteGermanCredit(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var trials []string
	for _, c := range []struct{ family, want string }{{"gbdt", ""}, {"logistic", ""}, {"knn", "family knn"}} {
		dir, _ := runJSON(t, "train", "--data", gc, "--target", "class", "--model", c.family, "--runs", t.TempDir(),
			"--json", "--notebooks", "none", "--explain-top", "0")
		out := filepath.Join(t.TempDir(), "model.onnx")
		trials = append(trials, filepath.Join(dir, "trials", "0"))
		code, stdout, errOut := cli(t, "export", "onnx", filepath.Join(dir, "best"), "-o", out)
		if c.want != "" {
			if code == 0 || !strings.Contains(errOut, c.want) {
				t.Errorf("%s: exit %d, stderr %q, want an error naming %q", c.family, code, errOut, c.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s: a model was written", c.family)
			}
			continue
		}
		if code != 0 || !strings.Contains(stdout, "ONNX model written to") {
			t.Fatalf("%s: exit %d: %s%s", c.family, code, stdout, errOut)
		}
		data, err := os.ReadFile(out)
		// ModelProto starts with ir_version (field 1, varint) = 10.
		if err != nil || len(data) < 100 || data[0] != 0x08 || data[1] != 10 {
			t.Errorf("%s: %d bytes, %v", c.family, len(data), err)
		}
	}
	// A two-member bundle is one graph; with the knn member it is refused, naming it.
	for _, c := range []struct {
		parts []string
		want  string
	}{{trials[:2], ""}, {trials, "family knn"}} {
		dir := filepath.Join(t.TempDir(), "ensemble")
		var parts []bundle.Part
		for _, p := range c.parts {
			parts = append(parts, bundle.Part{Dir: p, Weight: 1})
		}
		if _, err := bundle.Combine(dir, parts); err != nil {
			t.Fatal(err)
		}
		code, _, errOut := cli(t, "export", "onnx", dir, "-o", filepath.Join(t.TempDir(), "m.onnx"))
		if (code == 0) != (c.want == "") || !strings.Contains(errOut, c.want) {
			t.Errorf("%d members: exit %d: %s", len(c.parts), code, errOut)
		}
	}
	if code, _, errOut := cli(t, "export", "onnx"); code != 2 || !strings.Contains(errOut, "trial folder") {
		t.Errorf("no folder: exit %d: %s", code, errOut)
	}
}
