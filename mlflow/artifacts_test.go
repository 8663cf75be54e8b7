package mlflow

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goautoml/automl/mlflow/mlflowtest"
)

func TestProxiedArtifactPath(t *testing.T) {
	for _, c := range []struct {
		uri, want string
	}{
		{"mlflow-artifacts:/1/abc/artifacts", "1/abc/artifacts"},
		{"mlflow-artifacts:/1/abc/artifacts/", "1/abc/artifacts"},
		{"mlflow-artifacts://tracking:5000/2/def/artifacts", "2/def/artifacts"},
		{"mlflow-artifacts:3/x/artifacts", "3/x/artifacts"},
		{"s3://bucket/1/abc/artifacts", ""},
		{"file:///tmp/mlruns/1/abc/artifacts", ""},
		{"mlflow-artifacts:/", ""},
		{"mlflow-artifacts:/1/../etc", ""},
		{"::", ""},
	} {
		got, err := proxiedArtifactPath(c.uri)
		if got != c.want || (err == nil) != (c.want != "") {
			t.Errorf("%q: %q, %v; want %q", c.uri, got, err, c.want)
		}
	}
}

func FuzzProxiedArtifactPath(f *testing.F) {
	for _, s := range []string{"mlflow-artifacts:/1/abc/artifacts", "mlflow-artifacts://h/1/a", "s3://b/k", "mlflow-artifacts:/a//b", "%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		p, err := proxiedArtifactPath(uri)
		if err == nil && checkRelPath(p) != nil {
			t.Fatalf("%q gave unsafe path %q", uri, p)
		}
	})
}

func TestArtifactsRoundTrip(t *testing.T) {
	s := mlflowtest.NewServer(mlflowtest.Options{Seed: 21})
	defer s.Close()
	ctx := context.Background()
	c := &Client{BaseURL: s.URL, Retry: fastRetry(21)}
	exp, err := c.GetOrCreateExperiment(ctx, "art", nil)
	if err != nil {
		t.Fatal(err)
	}
	run, err := c.CreateRun(ctx, CreateRunRequest{ExperimentID: exp})
	if err != nil {
		t.Fatal(err)
	}
	up, err := c.Artifacts(run.Info.ArtifactURI)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string][]byte{
		"plots/roc curve.svg": []byte("<svg/>"),
		"plots/pr.png":        bytes.Repeat([]byte{0x89, 'P', 'N', 'G', 0}, 2000),
		"notebook.ipynb":      []byte(`{"cells":[]}`),
		"empty.txt":           nil,
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	n, err := up.UploadDir(ctx, "trial", dir)
	if err != nil || n != len(files) {
		t.Fatalf("uploaded %d, err %v", n, err)
	}
	if err := up.Upload(ctx, "note.txt", []byte("hi")); err != nil {
		t.Fatal(err)
	}
	root := strings.TrimPrefix(run.Info.ArtifactURI, "mlflow-artifacts:/")
	for name, data := range files {
		stored, ok := s.Artifact(root + "/trial/" + name)
		if !ok || !bytes.Equal(stored, data) {
			t.Errorf("%s: stored %d bytes (ok %v), want %d", name, len(stored), ok, len(data))
		}
		got, err := up.Download(ctx, "trial/"+name)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("download %s: %d bytes, %v", name, len(got), err)
		}
	}
	if st := s.Stats(); st.ChunkedUploads != 0 {
		t.Errorf("%d uploads went out chunked", st.ChunkedUploads)
	}
	list, err := up.List(ctx, "trial")
	if err != nil || len(list) != 3 || list[2].Path != "plots" || !list[2].IsDir || list[0].Path != "empty.txt" {
		t.Errorf("list = %+v, %v", list, err)
	}
	if got := up.URI("model"); got != run.Info.ArtifactURI+"/model" {
		t.Errorf("URI = %q", got)
	}
	if err := up.Upload(ctx, "../escape", []byte("x")); err == nil {
		t.Error("a '..' path was uploaded")
	}
	// MLflow 3.x answers 500 for a missing file: the client retries, then reports it.
	c.Retry.MaxAttempts = 2
	if _, err := up.Download(ctx, "nope.txt"); err == nil || !strings.Contains(err.Error(), "HTTP 500") {
		t.Errorf("missing download: %v", err)
	}
}

func TestArtifactsWithoutProxy(t *testing.T) {
	s := mlflowtest.NewServer(mlflowtest.Options{Seed: 22, ArtifactRoot: "s3://bucket/"})
	defer s.Close()
	ctx := context.Background()
	c := &Client{BaseURL: s.URL, Retry: fastRetry(22)}
	run, err := c.CreateRun(ctx, CreateRunRequest{ExperimentID: "0"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Artifacts(run.Info.ArtifactURI); err == nil || !strings.Contains(err.Error(), "artifact serving") {
		t.Errorf("s3 artifact uri: %v", err)
	}
}
