package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/store"
)

func init() {
	register(command{"gc", "remove the model bundles of all but the best trials (they are re-created on demand)", cmdGC})
	register(command{"recreate", "re-create a trial's model bundle from its spec, checking its metrics", cmdRecreate})
}

// defaultKeep is how many of the best trials keep their bundle after a
// search run from the command line (the demo keeps demoKeep).
const (
	defaultKeep = automl.DefaultRetain
	demoKeep    = 3
)

func cmdGC(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("gc", stderr)
	runs := fs.String("runs", "runs", "folder holding experiments (every one is collected unless some are named)")
	keep := fs.Int("keep", defaultKeep, "how many of the best trials of each experiment keep their bundle")
	dry := fs.Bool("dry-run", false, "only print what would be removed")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: automl gc [--runs runs] [--keep 5] [--dry-run] [experiment folder ...]")
		fs.PrintDefaults()
	}
	dirs, err := parse(fs, args, 1<<20)
	if err != nil {
		return err
	}
	if *keep < 1 {
		return usagef("--keep %d: expected at least 1 (the best trial always keeps its bundle)", *keep)
	}
	if len(dirs) == 0 {
		ents, err := os.ReadDir(*runs)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if _, err := os.Stat(store.At(filepath.Join(*runs, e.Name())).Experiment()); e.IsDir() && err == nil {
				dirs = append(dirs, filepath.Join(*runs, e.Name()))
			}
		}
	}
	var freed int64
	for _, d := range dirs {
		r, err := automl.GC(d, *keep, *dry)
		if err != nil {
			fmt.Fprintf(stderr, "%s: skipped: %v\n", d, err)
			continue
		}
		verb := "removed"
		if *dry {
			verb = "would remove"
		}
		fmt.Fprintf(stdout, "%s: %s %d bundles (%s), kept %d; %s now\n", d, verb, len(r.Removed), mb(r.Freed), len(r.Kept), mb(r.Size))
		freed += r.Freed
	}
	if len(dirs) > 1 {
		fmt.Fprintf(stdout, "%d experiments, %s freed\n", len(dirs), mb(freed))
	}
	return nil
}

func cmdRecreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("recreate", stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: automl recreate runs/<experiment>/trials/<id>")
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("name the trial folder: automl recreate runs/<experiment>/trials/<id>")
	}
	dir, err := recreate(ctx, pos[0], stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: bundle re-created; its metrics are the recorded ones\n", dir)
	return nil
}

// recreate re-creates the bundle of the trial folder dir.
func recreate(ctx context.Context, dir string, stderr io.Writer) (string, error) {
	id, err := automl.TrialID(filepath.Base(dir))
	if err != nil || filepath.Base(filepath.Dir(dir)) != store.TrialsDir {
		return "", fmt.Errorf("%s: not a trial folder (runs/<experiment>/trials/<id>)", dir)
	}
	fmt.Fprintf(stderr, "%s: its bundle was removed to save space; re-creating it from the trial's spec...\n", dir)
	return automl.Recreate(ctx, filepath.Dir(filepath.Dir(dir)), id, 0)
}

// bundleOrRecreate returns a model path ready to load: a trial folder
// whose bundle retention removed gets it back first.
func bundleOrRecreate(ctx context.Context, p string, stderr io.Writer) (string, error) {
	if filepath.Ext(p) == ".zip" {
		return p, nil
	}
	dir, err := automl.ResolveTrialDir(p)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(store.Bundle(dir)); err == nil || !errors.Is(err, os.ErrNotExist) {
		return p, nil
	}
	if _, err := os.Stat(filepath.Join(dir, store.TrialFile)); err != nil {
		return p, nil // not a trial folder: the loader says what is wrong
	}
	return recreate(ctx, dir, stderr)
}

// retain applies the retention policy after a search: bundles of the keep
// best trials (and pinned ones) stay.
func retain(dir string, keep int, stderr io.Writer) {
	if keep < 0 {
		return
	}
	if keep == 0 {
		keep = defaultKeep
	}
	if r, err := automl.GC(dir, keep, false); err != nil {
		fmt.Fprintf(stderr, "warning: keeping every bundle: %v\n", err)
	} else if len(r.Removed) > 0 {
		fmt.Fprintf(stderr, "kept the bundles of %d trials, removed %d (%s; `automl recreate` brings one back); %s in all\n", len(r.Kept), len(r.Removed), mb(r.Freed), mb(r.Size))
	}
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
