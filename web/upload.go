package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/samples"
	"github.com/goautoml/automl/store"
)

type newView struct {
	page
	MaxUpload string
}

// newPage is the first step of a new experiment: upload a CSV or pick a sample.
func (h *handler) newPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "new.html", &newView{MaxUpload: formatBytes(h.s.cfg.MaxUpload)})
}

// upload streams a multipart upload to a new folder under runs/.uploads.
// The form's CSRF token must come before the file (or in the header).
func (h *handler) upload(w http.ResponseWriter, r *http.Request) {
	limit := h.s.cfg.MaxUpload
	const overhead = 64 << 10 // multipart headers and the token field
	tooBig := fmt.Sprintf("The file is larger than this server's limit of %s.", formatBytes(limit))
	if r.ContentLength > limit+overhead {
		h.fail(w, r, http.StatusRequestEntityTooLarge, tooBig)
		return
	}
	// A slow upload holds only its own connection; give it time, not forever.
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(uploadTimeout))
	r.Body = http.MaxBytesReader(w, r.Body, limit+overhead)
	mr, err := r.MultipartReader()
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, "Expected a file upload form (multipart/form-data).")
		return
	}
	tokenOK := r.Header.Get(csrfHeader) != "" // checked by the middleware already
	var dir, path string
	defer func() {
		if path == "" && dir != "" {
			os.RemoveAll(dir)
		}
	}()
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			h.uploadError(w, r, err, tooBig)
			return
		}
		switch part.FormName() {
		case csrfField:
			b, _ := io.ReadAll(io.LimitReader(part, 256))
			tokenOK = equal(string(b), csrfToken(r))
		case "file":
			if !tokenOK {
				h.fail(w, r, http.StatusForbidden, "The form's security token is missing or out of date. Go back, reload the page and try again.")
				return
			}
			if dir != "" {
				h.fail(w, r, http.StatusBadRequest, "Upload one file at a time.")
				return
			}
			name := sanitizeName(part.FileName())
			room, release := h.s.reserveUpload(limit)
			defer release()
			if room <= 0 {
				h.fail(w, r, http.StatusInsufficientStorage, h.s.quotaFull())
				return
			}
			if dir, err = h.s.newUploadDir(); err != nil {
				h.fail(w, r, http.StatusInternalServerError, "Cannot store the upload: "+err.Error())
				return
			}
			n, err := saveFile(filepath.Join(dir, name), io.LimitReader(part, room+1))
			if err != nil {
				h.uploadError(w, r, err, tooBig)
				return
			}
			if n > limit {
				h.fail(w, r, http.StatusRequestEntityTooLarge, tooBig)
				return
			}
			if n > room {
				h.fail(w, r, http.StatusInsufficientStorage, h.s.quotaFull())
				return
			}
			if n == 0 {
				h.fail(w, r, http.StatusBadRequest, "The file "+name+" is empty.")
				return
			}
			if _, err := dataset.Read(filepath.Join(dir, name), dataset.Options{}); err != nil {
				h.fail(w, r, http.StatusBadRequest, "This file cannot be read as a table: "+strings.TrimPrefix(err.Error(), h.s.cfg.Runs+string(filepath.Separator)))
				return
			}
			path = filepath.Join(dir, name)
		default:
			io.Copy(io.Discard, io.LimitReader(part, overhead))
		}
	}
	if path == "" {
		if !tokenOK {
			h.fail(w, r, http.StatusForbidden, "The form's security token is missing or out of date. Go back, reload the page and try again.")
			return
		}
		h.fail(w, r, http.StatusBadRequest, "No file was sent: choose a CSV file first.")
		return
	}
	http.Redirect(w, r, "/new/"+filepath.Base(dir), http.StatusSeeOther)
}

func (h *handler) uploadError(w http.ResponseWriter, r *http.Request, err error, tooBig string) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		h.fail(w, r, http.StatusRequestEntityTooLarge, tooBig)
		return
	}
	h.fail(w, r, http.StatusBadRequest, "The upload was cut short or malformed: "+err.Error())
}

// sample copies a bundled sample into a new upload folder.
func (h *handler) sample(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("sample") != "german_credit" {
		h.fail(w, r, http.StatusNotFound, "There is no sample called "+r.PathValue("sample")+".")
		return
	}
	dir, err := h.s.newUploadDir()
	if err == nil {
		_, err = samples.WriteGermanCredit(dir)
	}
	if err != nil {
		h.fail(w, r, http.StatusInternalServerError, "Cannot copy the sample: "+err.Error())
		return
	}
	http.Redirect(w, r, "/new/"+filepath.Base(dir), http.StatusSeeOther)
}

func saveFile(path string, src io.Reader) (int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// newUploadDir makes runs/.uploads/<random id>.
func (s *Server) newUploadDir() (string, error) {
	b := make([]byte, 8)
	rand.Read(b)
	dir := filepath.Join(store.Uploads(s.cfg.Runs), hex.EncodeToString(b))
	return dir, os.MkdirAll(dir, 0o755)
}

// uploadFile finds the data file of an upload id; "" when there is none.
func (s *Server) uploadFile(id string) string {
	if len(id) != 16 || strings.Trim(id, "0123456789abcdef") != "" {
		return ""
	}
	dir := filepath.Join(store.Uploads(s.cfg.Runs), id)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			return filepath.Join(dir, e.Name())
		}
	}
	return ""
}

// sanitizeName keeps a safe base name: letters, digits, dot, dash and
// underscore, no leading dot, at most 80 characters, ending in .csv.
func sanitizeName(name string) string {
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	var b strings.Builder
	for _, c := range name {
		switch {
		case c < 128 && (unicode.IsLetter(c) || unicode.IsDigit(c)), c == '.', c == '-', c == '_':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.TrimLeft(b.String(), "._-")
	stem := strings.TrimSuffix(s, filepath.Ext(s))
	stem = strings.ReplaceAll(stem, ".", "_")
	if len(stem) > 76 {
		stem = stem[:76]
	}
	if stem == "" {
		stem = "data"
	}
	return stem + ".csv"
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// uploadTimeout bounds how long one upload may take.
const uploadTimeout = 30 * time.Minute

// plainError is err's message without the server's folder of the upload
// at path: a person sees "data.csv: ...", never where the server keeps it.
func plainError(err error, path string) string {
	return strings.ReplaceAll(err.Error(), filepath.Dir(path)+string(filepath.Separator), "")
}

// reserveUpload sweeps expired uploads and sets aside room for one upload
// of at most limit bytes within the quota; release gives the room back
// once the upload is on disk (where it is counted from then on).
func (s *Server) reserveUpload(limit int64) (room int64, release func()) {
	s.sweepUploads(time.Now())
	s.upMu.Lock()
	defer s.upMu.Unlock()
	room = min(limit, s.cfg.UploadQuota-s.uploadsSize()-s.upHeld)
	if room <= 0 {
		return room, func() {}
	}
	s.upHeld += room
	return room, func() {
		s.upMu.Lock()
		s.upHeld -= room
		s.upMu.Unlock()
	}
}

func (s *Server) quotaFull() string {
	return fmt.Sprintf("The server's space for uploaded files (%s) is full. Uploads are removed %s after they were made or last used; ask the person running the server to raise --upload-quota, or try again later.",
		formatBytes(s.cfg.UploadQuota), s.cfg.UploadTTL)
}

// uploadsSize is the bytes of the regular files under runs/.uploads.
func (s *Server) uploadsSize() int64 {
	var n int64
	filepath.WalkDir(filepath.Join(s.cfg.Runs, uploadsDir), func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// sweepUploads removes the uploads not made or used within UploadTTL of
// now, and forgets their cached frames.
func (s *Server) sweepUploads(now time.Time) {
	dir := filepath.Join(s.cfg.Runs, uploadsDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil || now.Sub(fi.ModTime()) <= s.cfg.UploadTTL {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if err := os.RemoveAll(p); err != nil {
			s.log.Warn("removing an expired upload", "dir", p, "err", err)
			continue
		}
		s.frames.forget(p)
	}
}

// usedUpload records that an upload started an experiment: its frame
// leaves memory (the search holds its own), and its expiry starts again.
func (s *Server) usedUpload(path string) {
	s.frames.forget(filepath.Dir(path))
	now := time.Now()
	os.Chtimes(filepath.Dir(path), now, now)
}
