package main

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"

	"github.com/goautoml/automl/automl"
)

// demoBar is the most disk the demo's experiment folder may take (issue 17).
const demoBar = 15 << 20

// TestDemoFolderSize: the demo's experiment folder, as `make demo` leaves
// it, stays under 15 MB. The demo runs with a trial limit instead of its
// 30 s so the trials do not depend on the machine: 16 trials take the
// adaptive search through its portfolio, whose forests of deep trees are the
// largest models (one took 13 MB before the tree view was gzipped), and end
// with the ensemble trial, whose members share their files with the trials'
// bundles.
func TestDemoFolderSize(t *testing.T) {
	if testing.Short() {
		t.Skip("a demo of 16 trials")
	}
	runs := t.TempDir()
	code, _, errOut := cli(t, "demo", "--runs", runs, "--max-trials", "16", "--timeout", "0", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	dirs, _ := filepath.Glob(filepath.Join(runs, "german_credit-*"))
	if len(dirs) != 1 {
		t.Fatalf("experiment folders %v", dirs)
	}
	size := automl.Size(dirs[0])
	if size > demoBar {
		type file struct {
			path string
			n    int64
		}
		var big []file
		filepath.WalkDir(dirs[0], func(p string, d fs.DirEntry, err error) error {
			if fi, err := d.Info(); err == nil && d.Type().IsRegular() {
				big = append(big, file{p, fi.Size()})
			}
			return nil
		})
		slices.SortFunc(big, func(a, b file) int { return int(b.n - a.n) })
		list := ""
		for _, f := range big[:min(10, len(big))] {
			list += fmt.Sprintf("\n  %8d KB %s", f.n>>10, f.path)
		}
		t.Fatalf("the demo's folder takes %.1f MB, more than %d MB; the largest files:%s", float64(size)/(1<<20), demoBar>>20, list)
	}
	t.Logf("the demo's folder: %.1f MB", float64(size)/(1<<20))
}
