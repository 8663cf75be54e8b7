package bundle

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/goautoml/automl/store"
)

// Part is a bundle folder and its weight in a combination.
type Part struct {
	Dir    string
	Weight float64
}

// Combine writes into dst a bundle whose members are those of the parts'
// bundles, each member's weight multiplied by its part's weight (a part
// that is itself an ensemble contributes all its members). The parts must
// predict the same target with the same classes from the same data. The
// members' classifier files are copied; dst gets TrialID -1, Family
// EnsembleFamily (or the member's family when there is one member), no
// metrics, no calibration and no threshold: set them and call Write again.
// A part's own calibration and threshold are not carried over: they were
// fitted to that part's output, not to the combination's, so the caller
// calibrates the combination on held-out rows (as the search's ensemble
// step does).
func Combine(dst string, parts []Part) (*Bundle, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("bundle: combine: no parts")
	}
	var out *Bundle
	seen := map[string]int{} // input name -> index in out.Inputs
	var srcs []string        // classifier folder of each member of out
	for i, p := range parts {
		if !(p.Weight > 0) || math.IsInf(p.Weight, 0) {
			return nil, fmt.Errorf("bundle: combine: part %d (%s): weight %v, want a positive number", i, p.Dir, p.Weight)
		}
		b, err := Read(p.Dir)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = &Bundle{Format: Format, Experiment: b.Experiment, TrialID: -1, Target: b.Target, Classes: b.Classes,
				Positive: b.Positive, DataSHA256: b.DataSHA256, Metric: b.Metric}
		} else if b.Target != out.Target || !slices.Equal(b.Classes, out.Classes) || b.Positive != out.Positive || b.DataSHA256 != out.DataSHA256 {
			return nil, fmt.Errorf("bundle: combine: %s predicts %s %v (positive %d) from data %.12s, %s predicts %s %v (positive %d) from data %.12s",
				parts[0].Dir, out.Target, out.Classes, out.Positive, out.DataSHA256, p.Dir, b.Target, b.Classes, b.Positive, b.DataSHA256)
		}
		for _, in := range b.Inputs {
			if j, ok := seen[in.Name]; ok {
				if out.Inputs[j].Kind != in.Kind {
					return nil, fmt.Errorf("bundle: combine: column %q is %s in one part and %s in %s", in.Name, out.Inputs[j].Kind, in.Kind, p.Dir)
				}
				continue
			}
			seen[in.Name] = len(out.Inputs)
			out.Inputs = append(out.Inputs, in)
		}
		total := 0.0
		for _, m := range b.Members {
			total += m.Weight
		}
		for k, m := range b.Members {
			m.Weight = p.Weight * m.Weight / total
			out.Members = append(out.Members, m)
			srcs = append(srcs, store.BundleModel(p.Dir, k))
		}
	}
	out.Family = EnsembleFamily
	if len(out.Members) == 1 {
		out.Family = out.Members[0].Family
	}
	for k, src := range srcs {
		if err := copyTree(src, store.BundleModel(dst, k)); err != nil {
			return nil, fmt.Errorf("bundle: combine: copy member %d: %w", k, err)
		}
	}
	if err := out.Write(dst); err != nil {
		return nil, err
	}
	return out, nil
}

// copyTree copies the regular files and folders under src into dst: each
// file is a hard link to the source's where the file system allows (no
// bytes copied, none stored twice), else a copy. Sharing is safe because
// bundle files are never changed in place: writers replace them by a
// rename, and removing the source (retention) leaves the link whole.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file", p)
		}
		if link(p, target) == nil {
			return nil
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		return store.Write(target, func(w io.Writer) error {
			_, err := io.Copy(w, in)
			return err
		})
	})
}

// link makes target a hard link to src, replacing target atomically: the
// link is made under a temporary name (one store.RemoveTemps recognises)
// and renamed.
func link(src, target string) error {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(target), fmt.Sprintf(".%s.tmp%d", filepath.Base(target), binary.LittleEndian.Uint32(b[:])))
	if err := os.Link(src, tmp); err != nil {
		return err
	}
	err := os.Rename(tmp, target)
	// Renaming a link onto a link of the same file does nothing (POSIX):
	// the temporary name is then still there.
	if rerr := os.Remove(tmp); err == nil && rerr != nil && !os.IsNotExist(rerr) {
		err = rerr
	}
	return err
}
