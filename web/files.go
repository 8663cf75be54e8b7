package web

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/bundle"
	"github.com/goautoml/automl/store"
)

// file serves one file of an experiment's folder. Paths are resolved
// inside the runs folder through an os.Root, so neither "..", absolute
// paths nor symbolic links can reach outside the store.
func (h *handler) file(w http.ResponseWriter, r *http.Request) {
	exp, p := r.PathValue("exp"), r.PathValue("path")
	if !validName(exp) || !fs.ValidPath(p) || p == "." {
		h.fail(w, r, http.StatusNotFound, "There is no such file.")
		return
	}
	// Only regular files are opened: opening a FIFO (or a device) would
	// block the request, or read something that is not a file of the run.
	name := exp + "/" + p
	if st, err := h.s.runs.Stat(name); err != nil || !st.Mode().IsRegular() {
		h.fail(w, r, http.StatusNotFound, "There is no such file.")
		return
	}
	f, err := h.s.runs.Open(name)
	if err != nil {
		h.fail(w, r, http.StatusNotFound, "There is no such file.")
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		h.fail(w, r, http.StatusNotFound, "There is no such file.")
		return
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox")
	ctype := mime.TypeByExtension(path.Ext(p))
	switch path.Ext(p) {
	case ".ipynb", ".jsonl", ".json":
		ctype = "application/json"
	case ".svg":
		ctype = "image/svg+xml"
	}
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	hd.Set("Content-Type", ctype)
	if !strings.HasPrefix(ctype, "image/") {
		hd.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": downloadName(exp, p)}))
	}
	http.ServeContent(w, r, path.Base(p), st.ModTime(), f)
}

// downloadName names a downloaded file after its experiment and trial.
func downloadName(exp, p string) string {
	parts := strings.Split(p, "/")
	if len(parts) >= 3 && parts[0] == store.TrialsDir {
		return exp + "-trial" + parts[1] + "-" + path.Base(p)
	}
	return exp + "-" + path.Base(p)
}

// bundleZip streams a trial's model bundle (model.json, model/ and the
// members/ of an ensemble) as a zip.
// A bundle removed by retention is re-created first (its metrics checked);
// a downloaded bundle is pinned, so retention keeps it.
func (h *handler) bundleZip(w http.ResponseWriter, r *http.Request) {
	exp, id := r.PathValue("exp"), r.PathValue("id")
	if n, err := strconv.ParseUint(id, 10, 31); err == nil && strconv.FormatUint(n, 10) == id && validName(exp) {
		l := store.At(filepath.Join(h.s.cfg.Runs, exp))
		if _, err := h.s.runs.Stat(exp + "/" + store.TrialsDir + "/" + id + "/" + store.TrialFile); err == nil {
			if _, err := h.s.runs.Stat(exp + "/" + store.TrialsDir + "/" + id + "/" + store.BundleFile); errors.Is(err, fs.ErrNotExist) {
				if _, err := automl.Recreate(r.Context(), l.Dir, int(n), h.s.cfg.Workers); err != nil {
					h.fail(w, r, http.StatusConflict, "The model of trial "+id+" was removed to save space and cannot be re-created: "+strings.ReplaceAll(err.Error(), h.s.cfg.Runs+string(filepath.Separator), ""))
					return
				}
			}
			automl.Pin(l.Trial(int(n)), "exported")
		}
	}
	h.zipTrial(w, r, "bundle", bundle.IsFile)
}

// artifactsZip streams everything in a trial's folder as a zip.
func (h *handler) artifactsZip(w http.ResponseWriter, r *http.Request) {
	h.zipTrial(w, r, "artifacts", func(string) bool { return true })
}

func (h *handler) zipTrial(w http.ResponseWriter, r *http.Request, what string, keep func(string) bool) {
	exp, id := r.PathValue("exp"), r.PathValue("id")
	if n, err := strconv.ParseUint(id, 10, 31); err != nil || strconv.FormatUint(n, 10) != id || !validName(exp) {
		h.fail(w, r, http.StatusNotFound, "There is no such trial.")
		return
	}
	root, err := h.s.runs.OpenRoot(exp + "/" + store.TrialsDir + "/" + id)
	if err != nil {
		h.fail(w, r, http.StatusNotFound, "There is no such trial.")
		return
	}
	defer root.Close()
	fsys := root.FS()
	var files []string
	fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == "." {
			return nil
		}
		if !keep(p) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && !strings.HasPrefix(d.Name(), ".") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		h.fail(w, r, http.StatusNotFound, "Trial "+id+" of "+exp+" has no "+what+" to download.")
		return
	}
	name := exp + "-trial" + id + "-" + what + ".zip"
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	zw := zip.NewWriter(w)
	prefix := exp + "-trial" + id + "/"
	for _, p := range files {
		if err := addFile(zw, fsys, p, prefix+p); err != nil {
			h.s.log.Warn("zip", "file", p, "err", err)
			return // the response is cut; the client sees a broken zip
		}
	}
	zw.Close()
}

func addFile(zw *zip.Writer, fsys fs.FS, p, name string) error {
	if st, err := fs.Stat(fsys, p); err != nil || !st.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", p)
	}
	f, err := fsys.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	hdr, err := zip.FileInfoHeader(st)
	if err != nil {
		return err
	}
	hdr.Name, hdr.Method = name, zip.Deflate
	dst, err := zw.CreateHeader(hdr)
	if err != nil {
		return err
	}
	_, err = io.Copy(dst, f)
	return err
}

var _ = os.Stat
