package web

import (
	"bytes"
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
	Error     string // why the last upload was refused
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
		h.refuse(w, r, http.StatusRequestEntityTooLarge, tooBig)
		return
	}
	// A slow upload holds only its own connection; give it time, not forever.
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(uploadTimeout))
	r.Body = http.MaxBytesReader(w, r.Body, limit+overhead)
	mr, err := r.MultipartReader()
	if err != nil {
		h.refuse(w, r, http.StatusBadRequest, "Expected a file upload form (multipart/form-data).")
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
				h.refuse(w, r, http.StatusForbidden, "The form's security token is missing or out of date. Go back, reload the page and try again.")
				return
			}
			if dir != "" {
				h.refuse(w, r, http.StatusBadRequest, "Upload one file at a time.")
				return
			}
			name := sanitizeName(part.FileName())
			room, release := h.s.reserveUpload(limit)
			defer release()
			if room <= 0 {
				h.refuse(w, r, http.StatusInsufficientStorage, h.s.quotaFull())
				return
			}
			if dir, err = h.s.newUploadDir(); err != nil {
				h.refuse(w, r, http.StatusInternalServerError, "Cannot store the upload: "+err.Error())
				return
			}
			n, err := saveFile(filepath.Join(dir, name), io.LimitReader(part, room+1))
			if err != nil {
				h.uploadError(w, r, err, tooBig)
				return
			}
			if n > limit {
				h.refuse(w, r, http.StatusRequestEntityTooLarge, tooBig)
				return
			}
			if n > room {
				h.refuse(w, r, http.StatusInsufficientStorage, h.s.quotaFull())
				return
			}
			if n == 0 {
				h.refuse(w, r, http.StatusBadRequest, "The file "+name+" is empty.")
				return
			}
			// A file that is not text is refused here; text the reader
			// cannot take as it guessed goes on to the set-up page, which
			// shows why beside the choice of encoding and separator.
			if _, err := dataset.Read(filepath.Join(dir, name), dataset.Options{}); err != nil {
				if what := notText(filepath.Join(dir, name)); what != "" {
					h.refuse(w, r, http.StatusBadRequest, "This file cannot be read as a table: "+name+" is "+what)
					return
				}
			}
			path = filepath.Join(dir, name)
		default:
			io.Copy(io.Discard, io.LimitReader(part, overhead))
		}
	}
	if path == "" {
		if !tokenOK {
			h.refuse(w, r, http.StatusForbidden, "The form's security token is missing or out of date. Go back, reload the page and try again.")
			return
		}
		h.refuse(w, r, http.StatusBadRequest, "No file was sent: choose a CSV file first.")
		return
	}
	http.Redirect(w, r, "/new/"+filepath.Base(dir), http.StatusSeeOther)
}

func (h *handler) uploadError(w http.ResponseWriter, r *http.Request, err error, tooBig string) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		h.refuse(w, r, http.StatusRequestEntityTooLarge, tooBig)
		return
	}
	h.refuse(w, r, http.StatusBadRequest, "The upload was cut short or malformed: "+err.Error())
}

// refuse shows the upload page again with why the upload was refused
// (plain text to clients that do not ask for HTML).
func (h *handler) refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if !strings.Contains(r.Header.Get("Accept"), "text/html") {
		http.Error(w, msg, status)
		return
	}
	h.render(w, r, status, "new.html", &newView{MaxUpload: formatBytes(h.s.cfg.MaxUpload), Error: msg})
}

// notText says what kind of file path is when its first bytes show that it
// is not text ("" when they do not): images, PDFs and spreadsheets are what
// people upload by mistake.
func notText(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	const save = " Open it in Excel (or LibreOffice) and save it as CSV (File › Save as › CSV UTF-8), then upload the .csv file."
	for _, m := range []struct{ magic, what string }{
		{"\x89PNG", "a PNG image, not a table."},
		{"\xff\xd8\xff", "a JPEG image, not a table."},
		{"GIF8", "a GIF image, not a table."},
		{"%PDF", "a PDF document, not a table."},
		{"PK\x03\x04", "a ZIP archive: an Excel workbook (.xlsx) is one, not a CSV file." + save},
		{"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook (.xls), not a CSV file." + save},
	} {
		if bytes.HasPrefix(head, []byte(m.magic)) {
			return m.what
		}
	}
	// UTF-16 text holds NUL bytes but starts with a mark or ASCII (the reader takes it).
	if bytes.IndexByte(head, 0) >= 0 && !bytes.HasPrefix(head, []byte{0xff, 0xfe}) && !bytes.HasPrefix(head, []byte{0xfe, 0xff}) {
		return "a binary file, not text: expected a CSV file (a header line naming the columns, then one line per row)."
	}
	return ""
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
		s.upMu.Lock()
		data := s.moved[id]
		s.upMu.Unlock()
		if fi, err := os.Stat(data); data != "" && err == nil && fi.Mode().IsRegular() {
			return data
		}
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

// movedUpload removes the upload that started an experiment, whose folder
// now holds its own copy at data. Later starts from the same upload id (a
// second experiment, the browser's back button) read that copy.
func (s *Server) movedUpload(id, path, data string) {
	dir := filepath.Dir(path)
	s.frames.forget(dir)
	s.upMu.Lock()
	if s.moved == nil {
		s.moved = map[string]string{}
	}
	s.moved[id] = data
	s.upMu.Unlock()
	if filepath.Dir(dir) == store.Uploads(s.cfg.Runs) {
		if err := os.RemoveAll(dir); err != nil {
			s.log.Warn("removing an upload that started an experiment", "dir", dir, "err", err)
		}
	}
}
