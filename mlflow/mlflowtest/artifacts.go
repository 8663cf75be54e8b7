package mlflowtest

import (
	"io"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
)

// cleanArtifactPath refuses absolute paths and '.' or '..' segments, as MLflow's
// validate_path_is_safe does.
func cleanArtifactPath(p string) (string, *apiError) {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") {
		return "", &apiError{http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "Invalid path"}
	}
	for _, seg := range strings.Split(strings.TrimSuffix(p, "/"), "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", &apiError{http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "Invalid path"}
		}
	}
	return strings.TrimSuffix(p, "/"), nil
}

func (s *Server) putArtifact(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := cleanArtifactPath(r.PathValue("path"))
	if e != nil {
		return e
	}
	chunked := r.ContentLength < 0
	for _, te := range r.TransferEncoding {
		chunked = chunked || te == "chunked"
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return &apiError{http.StatusBadRequest, "BAD_REQUEST", "could not read the upload"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if chunked {
		// Measured on a 3.x deployment: a chunked upload is answered 200 and stored empty.
		s.stats.ChunkedUploads++
		data = nil
	}
	s.artifacts[p] = data
	writeJSON(w, http.StatusOK, map[string]any{})
	return nil
}

func (s *Server) getArtifact(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := cleanArtifactPath(r.PathValue("path"))
	if e != nil {
		return e
	}
	s.mu.Lock()
	data, ok := s.artifacts[p]
	s.mu.Unlock()
	if !ok {
		// MLflow 3.x answers a missing artifact with 500, not 404.
		return &apiError{http.StatusInternalServerError, "INTERNAL_ERROR", "No such file or directory: '" + p + "'"}
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	w.Write(data)
	return nil
}

func (s *Server) listArtifacts(w http.ResponseWriter, r *http.Request) *apiError {
	dir := r.URL.Query().Get("path")
	if dir != "" {
		var e *apiError
		if dir, e = cleanArtifactPath(dir); e != nil {
			return e
		}
	}
	type fileInfo struct {
		Path     string `json:"path"`
		IsDir    bool   `json:"is_dir"`
		FileSize *int64 `json:"file_size,omitempty"`
	}
	entries := map[string]fileInfo{}
	s.mu.Lock()
	for p, data := range s.artifacts {
		rel := p
		if dir != "" {
			if !strings.HasPrefix(p, dir+"/") {
				continue
			}
			rel = p[len(dir)+1:]
		}
		name, _, isDir := strings.Cut(rel, "/")
		if isDir {
			entries[name] = fileInfo{Path: name, IsDir: true}
		} else {
			n := int64(len(data))
			entries[name] = fileInfo{Path: path.Base(name), FileSize: &n}
		}
	}
	s.mu.Unlock()
	files := make([]fileInfo, 0, len(entries))
	for _, f := range entries {
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	body := map[string]any{}
	if len(files) > 0 {
		body["files"] = files
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}
