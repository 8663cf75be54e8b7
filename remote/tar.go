package remote

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/goautoml/automl/store"
)

// packDir packs the regular files under dir into a tar archive, with paths
// relative to dir, in lexical order.
func packDir(dir string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", path)
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// unpackDir writes the files of a tar archive made by packDir under dir.
// Each file is written atomically; paths leaving dir are refused.
func unpackDir(archive []byte, dir string) error {
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("bundle archive: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			return fmt.Errorf("bundle archive: %s is not a regular file", h.Name)
		}
		name := filepath.FromSlash(h.Name)
		if !filepath.IsLocal(name) {
			return fmt.Errorf("bundle archive: refusing the path %q", h.Name)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return fmt.Errorf("bundle archive: %s: %w", h.Name, err)
		}
		if err := store.WriteFile(filepath.Join(dir, name), b); err != nil {
			return err
		}
	}
}
