package notebookgen

import (
	"archive/zip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestPinnedNotebookExecutes: a binary installed at a module version writes a trial notebook
// that, run under Jupyter with AUTOML_SRC unset, fetches the module at that version and
// prints REPRODUCED. The version is served by a file-system module proxy holding this
// checkout (GOPROXY=file://...), the other modules by the usual proxy or cache.
func TestPinnedNotebookExecutes(t *testing.T) {
	if testing.Short() && os.Getenv("AUTOML_CI") != "1" {
		t.Skip("installs the binary and runs Jupyter for minutes")
	}
	for _, tool := range []string{"jupyter", "gonb"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("AUTOML_CI") == "1" {
				t.Fatalf("%s is not installed (AUTOML_CI=1): %v", tool, err)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	// A version of its own per run: the module cache keeps what it downloaded.
	pinnedVersion := "v0.1.0-ci." + strconv.FormatInt(time.Now().UnixNano(), 10)
	proxy := moduleProxy(t, repoRoot(t), pinnedVersion)
	base, err := exec.Command("go", "env", "GOPROXY").Output()
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "GOPROXY=file://"+filepath.ToSlash(proxy)+","+strings.TrimSpace(string(base)),
		"GONOSUMDB="+Module, "GOFLAGS=-mod=mod", "AUTOML_SRC=", "MLFLOW_TRACKING_URI=")

	bin := t.TempDir()
	work := t.TempDir() // outside the checkout, so the binary cannot find it
	install := exec.Command("go", "install", Module+"/cmd/automl@"+pinnedVersion)
	install.Dir = work
	install.Env = append(env, "GOBIN="+bin)
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install: %v\n%s", err, out)
	}
	data := filepath.Join(work, "german_credit.csv")
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "samples", "german_credit.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(data, src, 0o644); err != nil {
		t.Fatal(err)
	}
	train := exec.Command(filepath.Join(bin, "automl"), "train", "--data", data, "--target", "class", "--model", "logistic",
		"--runs", filepath.Join(work, "runs"), "--name", "pinned", "--quiet", "--explain-top", "0", "--notebooks", "all")
	train.Dir = work
	train.Env = env
	if out, err := train.CombinedOutput(); err != nil {
		t.Fatalf("automl train: %v\n%s", err, out)
	}
	nb := filepath.Join(work, "runs", "pinned", "trials", "0", "notebook.ipynb")
	text, err := os.ReadFile(nb)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(text), "-require="+Module+"@"+pinnedVersion) {
		t.Fatalf("the notebook does not pin %s", pinnedVersion)
	}
	out := filepath.Join(t.TempDir(), "executed.ipynb")
	run := exec.Command("jupyter", "nbconvert", "--to", "notebook", "--execute",
		"--ExecutePreprocessor.timeout=900", "--output", out, nb)
	run.Dir = work
	run.Env = env
	if msg, err := run.CombinedOutput(); err != nil {
		t.Fatalf("nbconvert: %v\n%s", err, tail(string(msg), 4000))
	}
	printed := stdoutOf(t, out)
	if !strings.Contains(printed, "REPRODUCED:") || strings.Contains(printed, "NOT REPRODUCED") {
		t.Errorf("the notebook did not print REPRODUCED:\n%s", tail(printed, 3000))
	}
}

// proxyPath matches the file paths a module zip may hold (a conservative subset of
// golang.org/x/mod/module.CheckFilePath); other files (none a build needs) are left out.
var proxyPath = regexp.MustCompile(`^[A-Za-z0-9_./+-]+$`)

// windowsReserved matches path elements module zips refuse (CheckFilePath: "nul" and the like,
// with or without an extension). dataset/testdata/fuzz/FuzzRead/nul is one: a module proxy
// could not serve this repository as it is.
var windowsReserved = regexp.MustCompile(`(?i)^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$`)

// moduleProxy writes a file-system module proxy (the GOPROXY protocol's files) serving the
// module in root at version: list, .info, .mod and a .zip of root's files, without the .git
// folder, nested modules and build output.
func moduleProxy(t *testing.T, root, version string) string {
	t.Helper()
	dir := t.TempDir()
	vdir := filepath.Join(dir, filepath.FromSlash(Module), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	info := `{"Version":"` + version + `","Time":"` + time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339) + `"}`
	for name, data := range map[string][]byte{"list": []byte(version + "\n"), version + ".info": []byte(info), version + ".mod": mod} {
		if err := os.WriteFile(filepath.Join(vdir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Create(filepath.Join(vdir, version+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	prefix := Module + "@" + version + "/"
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "." {
				return nil
			}
			name := d.Name()
			if strings.HasPrefix(name, ".") || name == "runs" || name == "bin" || name == "vendor" {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir // a nested module
			}
			return nil
		}
		if !d.Type().IsRegular() || !proxyPath.MatchString(rel) || strings.HasPrefix(d.Name(), ".") ||
			windowsReserved.MatchString(d.Name()) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		w, err := zw.Create(prefix + rel)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
