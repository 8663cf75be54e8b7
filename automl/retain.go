package automl

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/goautoml/automl/store"
)

// Pin marks the trial folder dir as used (why: "opened", "served",
// "exported"): GC keeps its bundle whatever its rank. The pin file
// (store.PinFile) holds the reasons, one a line.
func Pin(dir, why string) error {
	p := filepath.Join(dir, store.PinFile)
	if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), " "+why+"\n") {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(dir, store.PinFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%s %s\n", time.Now().UTC().Format(time.RFC3339), why)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Retention is what GC did, or would do, to one experiment.
type Retention struct {
	Kept    []int // trials whose bundle stays: the best Keep, and pinned ones
	Removed []int // trials whose bundle was (or would be) removed
	Freed   int64 // bytes of the removed bundles
	Size    int64 // bytes of the experiment's folder afterwards
}

// DefaultRetain is how many of the best trials keep their bundle after a
// search, from the command line or the web UI.
const DefaultRetain = 5

// GC keeps the model bundles of the keep best trials of the experiment in
// dir and of every pinned trial, and removes the others' (model.json and
// model/). A removed bundle is re-created on demand by Recreate: a trial
// is its spec, so nothing is lost. With dryRun nothing is removed. A
// running experiment is refused.
func GC(dir string, keep int, dryRun bool) (*Retention, error) {
	e, trials, err := ReadExperiment(dir)
	if err != nil {
		return nil, err
	}
	l := store.At(dir)
	if _, err := os.Stat(l.Lock()); err == nil && e.Status == "running" {
		return nil, fmt.Errorf("%s: the experiment is running; collect it once it ends", dir)
	}
	ranked := slices.Clone(trials)
	slices.SortStableFunc(ranked, func(a, b Trial) int {
		sa, sb := a.Score(e.Config.Metric), b.Score(e.Config.Metric)
		switch {
		case math.IsNaN(sa) && math.IsNaN(sb):
			return a.ID - b.ID
		case math.IsNaN(sa):
			return 1
		case math.IsNaN(sb):
			return -1
		case sa != sb:
			if sa > sb {
				return -1
			}
			return 1
		}
		return a.ID - b.ID
	})
	r := &Retention{}
	before := treeSize(dir)
	for rank, t := range ranked {
		if _, err := os.Stat(l.Bundle(t.ID)); err != nil {
			continue
		}
		_, pinErr := os.Stat(l.Pin(t.ID))
		best := e.Best != nil && *e.Best == t.ID
		if rank < keep || pinErr == nil || best {
			r.Kept = append(r.Kept, t.ID)
			continue
		}
		// The bundle: model.json, then its model files (model/, members/).
		parts := []string{l.Bundle(t.ID), l.BundleModel(t.ID), filepath.Join(l.Trial(t.ID), store.MembersDir)}
		var n int64
		for _, p := range parts {
			n += treeSize(p)
		}
		if !dryRun {
			for _, p := range parts {
				if err := os.RemoveAll(p); err != nil {
					return r, err
				}
			}
		}
		r.Removed = append(r.Removed, t.ID)
		r.Freed += n
	}
	slices.Sort(r.Kept)
	slices.Sort(r.Removed)
	r.Size = treeSize(dir)
	if !dryRun {
		// An ensemble's member files are hard links to its members'
		// bundles: removing one of the two frees nothing.
		r.Freed = before - r.Size
	}
	return r, nil
}

// treeSize is the bytes of the regular files under p (p itself when a
// file), a file with several links under p counted once.
func treeSize(p string) int64 {
	var n int64
	seen := map[int64][]fs.FileInfo{} // by size: files counted
	filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		if slices.ContainsFunc(seen[fi.Size()], func(o fs.FileInfo) bool { return os.SameFile(o, fi) }) {
			return nil
		}
		seen[fi.Size()] = append(seen[fi.Size()], fi)
		n += fi.Size()
		return nil
	})
	return n
}

// Size is the bytes of the files of an experiment's folder.
func Size(dir string) int64 { return treeSize(dir) }

// ErrMetricsDiffer is returned by Recreate when the refit trial's metrics
// are not the recorded ones: the data or the program changed.
var ErrMetricsDiffer = errors.New("the re-created model's metrics differ from the recorded ones")

// Recreate refits trial id of the experiment in dir from its recorded spec
// on the experiment's data (checked by its sha256), checks that the
// metrics are the recorded ones bit for bit, and writes its bundle into the
// trial's folder. It returns the trial's folder.
func Recreate(ctx context.Context, dir string, id, workers int) (string, error) {
	e, trials, err := ReadExperiment(dir)
	if err != nil {
		return "", err
	}
	i := slices.IndexFunc(trials, func(t Trial) bool { return t.ID == id })
	if i < 0 {
		return "", fmt.Errorf("%s: no trial %d", dir, id)
	}
	rec := trials[i]
	if rec.Status != "ok" {
		return "", fmt.Errorf("%s: trial %d failed, it has no model to re-create", dir, id)
	}
	td := store.At(dir).Trial(id)
	p, err := Prepare(e.Config)
	if err != nil {
		return "", fmt.Errorf("re-creating trial %d: %w", id, err)
	}
	if p.Data.Frame.SHA256 != e.Data.SHA256 {
		return "", fmt.Errorf("re-creating trial %d: %s changed since the experiment ran (sha256 %s, now %s)", id, e.Config.Data, e.Data.SHA256, p.Data.Frame.SHA256)
	}
	again, fit, err := RunTrial(ctx, p.Data, rec.TrialSpec, workers)
	if err != nil {
		return "", fmt.Errorf("re-creating trial %d: %w", id, err)
	}
	if !reflect.DeepEqual(again.Val, rec.Val) || !reflect.DeepEqual(again.Test, rec.Test) {
		return "", fmt.Errorf("re-creating trial %d: %w (recorded val %v test %v, now val %v test %v)", id, ErrMetricsDiffer, rec.Val, rec.Test, again.Val, again.Test)
	}
	if err := os.MkdirAll(td, 0o755); err != nil {
		return "", err
	}
	if err := SaveBundle(td, p.Data, e.Name, rec, fit); err != nil {
		return "", fmt.Errorf("re-creating trial %d: %w", id, err)
	}
	return td, nil
}
