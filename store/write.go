package store

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
)

// WriteJSON writes v as JSON to path atomically, indented unless it is
// large.
func WriteJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if len(b) <= indentMax {
		var ind bytes.Buffer
		if err := json.Indent(&ind, b, "", "  "); err != nil {
			return err
		}
		b = ind.Bytes()
	}
	return WriteFile(path, append(b, '\n'))
}

// indentMax is the size of JSON WriteJSON still indents for people to
// read. Larger files (the experiment record of a table of 20,000 columns
// is tens of MB) are written compact: indenting took most of the time of
// writing them, over a second after a search's deadline.
const indentMax = 1 << 20

// WriteFile writes data to path atomically: readers see the old content or
// the new, never a part, and a crash leaves no partial file under path.
// The file is readable by all (0644), as os.WriteFile would make it.
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Write streams a file to path atomically: write fills a temporary file
// beside path, which is synced and renamed over path. The temporary file is
// removed when anything fails.
func Write(path string, write func(w io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = f.Chmod(0o644) // CreateTemp makes it private
	if err == nil {
		err = write(f)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
