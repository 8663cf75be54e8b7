package mlflow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
)

const artifactsPrefix = "/api/2.0/mlflow-artifacts/artifacts"

// ArtifactUploader writes and reads one run's artifacts through the tracking server's proxied
// artifact API (the server must run with artifact serving, MLflow 2.x's default). Paths are
// relative to the run's artifact root and use '/'.
type ArtifactUploader struct {
	c    *Client
	uri  string // the run's artifact_uri, without a trailing '/'
	root string // server-side path of the root: "<experiment>/<run>/artifacts"
}

// Artifacts returns an uploader for the run whose artifact_uri (as runs/create or runs/get
// returned it) is artifactURI. Only mlflow-artifacts: URIs can be written through the tracking
// server; any other scheme (s3:, file:, ...) means the server hands out storage locations
// instead of proxying, and is an error.
func (c *Client) Artifacts(artifactURI string) (*ArtifactUploader, error) {
	root, err := proxiedArtifactPath(artifactURI)
	if err != nil {
		return nil, err
	}
	return &ArtifactUploader{c: c, uri: strings.TrimRight(artifactURI, "/"), root: root}, nil
}

// proxiedArtifactPath maps "mlflow-artifacts:/1/abc/artifacts" (or the form with an authority,
// "mlflow-artifacts://host:5000/1/abc/artifacts") to "1/abc/artifacts".
func proxiedArtifactPath(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", fmt.Errorf("mlflow: artifact uri %q: %w", uri, err)
	}
	if u.Scheme != "mlflow-artifacts" {
		return "", fmt.Errorf("mlflow: artifact uri %q: the tracking server does not proxy this run's artifacts (expected mlflow-artifacts:/...; start the server with artifact serving)", uri)
	}
	p := u.Path
	if p == "" {
		p = u.Opaque
	}
	p = strings.Trim(p, "/")
	if p == "" {
		return "", fmt.Errorf("mlflow: artifact uri %q has no path", uri)
	}
	if err := checkRelPath(p); err != nil {
		return "", fmt.Errorf("mlflow: artifact uri %q: %w", uri, err)
	}
	return p, nil
}

// checkRelPath refuses absolute paths, empty, "." and ".." segments.
func checkRelPath(p string) error {
	if p == "" {
		return errors.New("empty artifact path")
	}
	if strings.HasPrefix(p, "/") || strings.Contains(p, "\\") {
		return fmt.Errorf("artifact path %q must be relative and use '/'", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("artifact path %q has an empty, '.' or '..' segment", p)
		}
	}
	return nil
}

// URI returns the artifact URI of rel under the run's root, e.g. the source of a model
// version: artifact_uri + "/" + rel.
func (u *ArtifactUploader) URI(rel string) string {
	rel = strings.Trim(rel, "/")
	if rel == "" {
		return u.uri
	}
	return u.uri + "/" + rel
}

func (u *ArtifactUploader) endpoint(rel string) (string, error) {
	full := u.root
	if rel = strings.Trim(rel, "/"); rel != "" {
		if err := checkRelPath(rel); err != nil {
			return "", fmt.Errorf("mlflow: %w", err)
		}
		full += "/" + rel
	}
	segs := strings.Split(full, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return artifactsPrefix + "/" + strings.Join(segs, "/"), nil
}

// Upload stores data as the artifact rel.
func (u *ArtifactUploader) Upload(ctx context.Context, rel string, data []byte) error {
	ep, err := u.endpoint(rel)
	if err != nil {
		return err
	}
	b := &body{contentType: "application/octet-stream", open: func() (io.ReadCloser, int64, error) {
		return io.NopCloser(bytes.NewReader(data)), int64(len(data)), nil
	}}
	_, err = u.c.call(ctx, u.c.Retry, "PUT", ep, nil, b)
	return err
}

// UploadFile stores the local file as the artifact rel. The file is reopened for each attempt
// and sent with its size as Content-Length.
func (u *ArtifactUploader) UploadFile(ctx context.Context, rel, local string) error {
	ep, err := u.endpoint(rel)
	if err != nil {
		return err
	}
	b := &body{contentType: "application/octet-stream", open: func() (io.ReadCloser, int64, error) {
		f, err := os.Open(local)
		if err != nil {
			return nil, 0, err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, 0, err
		}
		if !st.Mode().IsRegular() {
			f.Close()
			return nil, 0, fmt.Errorf("%s is not a regular file", local)
		}
		// Send exactly the size measured now, even if the file grows meanwhile.
		return struct {
			io.Reader
			io.Closer
		}{io.LimitReader(f, st.Size()), f}, st.Size(), nil
	}}
	if _, err := u.c.call(ctx, u.c.Retry, "PUT", ep, nil, b); err != nil {
		return fmt.Errorf("upload %s: %w", local, err)
	}
	return nil
}

// UploadDir uploads every regular file under the local directory dir to the artifact
// directory rel ("" = the run's root), in lexical order, and returns how many it sent.
// Symbolic links and other special files are skipped.
func (u *ArtifactUploader) UploadDir(ctx context.Context, rel, dir string) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		sub, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if err := u.UploadFile(ctx, path.Join(rel, filepath.ToSlash(sub)), p); err != nil {
			return err
		}
		n++
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("mlflow: upload directory %s: %w", dir, err)
	}
	return n, nil
}

// Download returns the content of the artifact rel. The whole file is read into memory.
// MLflow 3.x answers a missing artifact with HTTP 500, not 404, so a missing file costs the
// retry budget before it fails.
func (u *ArtifactUploader) Download(ctx context.Context, rel string) ([]byte, error) {
	ep, err := u.endpoint(rel)
	if err != nil {
		return nil, err
	}
	return u.c.call(ctx, u.c.Retry, "GET", ep, nil, nil)
}

// List returns the entries of the artifact directory rel ("" = the run's root). Each Path is
// the entry's name within rel, as the server gives it.
func (u *ArtifactUploader) List(ctx context.Context, rel string) ([]FileInfo, error) {
	p := u.root
	if rel = strings.Trim(rel, "/"); rel != "" {
		if err := checkRelPath(rel); err != nil {
			return nil, fmt.Errorf("mlflow: %w", err)
		}
		p += "/" + rel
	}
	var out struct {
		Files []FileInfo `json:"files"`
	}
	if err := u.c.callJSON(ctx, "GET", artifactsPrefix, url.Values{"path": {p}}, nil, &out); err != nil {
		return nil, err
	}
	return out.Files, nil
}
