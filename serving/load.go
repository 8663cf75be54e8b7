package serving

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/store"
)

// Limits on a zipped bundle, against archives that unpack to far more than
// they weigh.
const (
	maxZipFiles = 10000
	maxZipBytes = 4 << 30
)

// Load reads a model bundle: a trial directory, a bundle directory,
// runs/<exp>/best, or a .zip of a bundle or trial directory (model.json at
// the archive's root or inside one top-level folder). A zip is unpacked into
// a temporary directory, removed once the model is in memory.
func Load(p string) (*bundle.Model, error) {
	if !strings.EqualFold(filepath.Ext(p), ".zip") {
		return bundle.Load(p)
	}
	tmp, err := os.MkdirTemp("", "automl-bundle-*")
	if err != nil {
		return nil, fmt.Errorf("serving: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := Unzip(p, tmp); err != nil {
		return nil, err
	}
	dir := tmp
	if _, err := os.Stat(store.Bundle(dir)); err != nil {
		ents, err := os.ReadDir(tmp)
		if err != nil {
			return nil, fmt.Errorf("serving: %w", err)
		}
		if len(ents) != 1 || !ents[0].IsDir() {
			return nil, fmt.Errorf("%s: no %s at the root of the archive or in a single top-level folder", p, store.BundleFile)
		}
		dir = filepath.Join(tmp, ents[0].Name())
	}
	m, err := bundle.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return m, nil
}

// Unzip extracts the regular files and folders of the archive src into dir.
// It refuses entries whose names are absolute or climb out of dir ("..",
// drive letters, backslashes), symbolic links and other special files, more
// than 10,000 entries and more than 4 GiB unpacked.
func Unzip(src, dir string) error {
	zr, err := zip.OpenReader(src)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	defer zr.Close()
	if len(zr.File) > maxZipFiles {
		return fmt.Errorf("%s: %d entries, at most %d accepted", src, len(zr.File), maxZipFiles)
	}
	var total int64
	for _, f := range zr.File {
		name := f.Name
		if strings.ContainsRune(name, '\\') || strings.Contains(name, ":") || !filepath.IsLocal(filepath.FromSlash(name)) && path.Clean(name) != "." {
			return fmt.Errorf("%s: entry %q: name leaves the extraction folder", src, name)
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		mode := f.Mode()
		switch {
		case mode.IsDir():
			if err := os.MkdirAll(target, 0o755); err != nil {
				return fmt.Errorf("%s: %w", src, err)
			}
			continue
		case !mode.IsRegular():
			return fmt.Errorf("%s: entry %q is a %s, only files and folders are accepted", src, name, mode.Type())
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		n, err := extract(f, target, maxZipBytes-total)
		total += n
		if err != nil {
			return fmt.Errorf("%s: entry %q: %w", src, name, err)
		}
	}
	return nil
}

// extract copies one entry into target, reading at most limit bytes.
func extract(f *zip.File, target string, limit int64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, io.LimitReader(rc, limit+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > limit {
		err = fmt.Errorf("archive unpacks to more than %d bytes", int64(maxZipBytes))
	}
	return n, err
}
