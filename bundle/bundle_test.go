package bundle

import (
	"encoding/csv"
	"encoding/json"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/dataset"
	"github.com/goautoml/automl/models"
	"github.com/goautoml/automl/store"
)

// format1 lists the format-1 bundles in testdata (written by the code
// before multi-member bundles, copied from an experiment on iris.csv) with
// the `automl predict` output they gave then.
var format1Dirs = []string{"iris-0", "iris-10"}

// predictCSV renders probabilities as `automl predict` does.
func predictCSV(m *Model, P *mat.Dense) [][]string {
	head := []string{"row", "prediction"}
	for _, c := range m.Classes {
		head = append(head, "probability_"+c)
	}
	out := [][]string{head}
	r, k := P.Dims()
	for i := range r {
		rec := []string{strconv.Itoa(i + 1), m.Classes[m.Label(P.RawRowView(i))]}
		for j := range k {
			rec = append(rec, strconv.FormatFloat(P.At(i, j), 'g', 10, 64))
		}
		out = append(out, rec)
	}
	return out
}

func readCSV(t *testing.T, p string) [][]string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func score(t *testing.T, m *Model) *mat.Dense {
	t.Helper()
	f, err := dataset.Read(filepath.Join("testdata", "iris.csv"), dataset.Options{Kinds: m.Kinds()})
	if err != nil {
		t.Fatal(err)
	}
	P, err := m.PredictProba(f)
	if err != nil {
		t.Fatal(err)
	}
	return P
}

// Bundles written before format 2 load as one-member bundles and score as
// they did; saved again they are format 2 and score the same, bit for bit.
func TestFormat1LoadsAndScoresTheSame(t *testing.T) {
	for _, name := range format1Dirs {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "format1", name)
			m, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Members()) != 1 || m.Members()[0].Weight != 1 || m.Members()[0].Family != m.Family || m.Members()[0].TrialID != m.TrialID {
				t.Fatalf("members %+v of a %s bundle", m.Members(), m.Family)
			}
			P := score(t, m)
			want := readCSV(t, filepath.Join("testdata", "format1", name+".csv"))
			if got := predictCSV(m, P); !equal(got, want) {
				t.Fatalf("scores differ from the ones recorded with format 1")
			}

			out := t.TempDir()
			b := m.Bundle
			if err := Save(out, &b, []models.Classifier{m.Members()[0].Classifier}); err != nil {
				t.Fatal(err)
			}
			raw, _ := os.ReadFile(store.Bundle(out))
			var head struct {
				Format  int               `json:"format"`
				Members []json.RawMessage `json:"members"`
				Prep    json.RawMessage   `json:"prep"`
			}
			if err := json.Unmarshal(raw, &head); err != nil || head.Format != 2 || len(head.Members) != 1 || head.Prep != nil {
				t.Fatalf("saved again: format %d, %d members, top-level prep %s (%v)", head.Format, len(head.Members), head.Prep, err)
			}
			m2, err := Load(out)
			if err != nil {
				t.Fatal(err)
			}
			if !mat.Equal(score(t, m2), P) {
				t.Fatal("the format-2 copy scores differently")
			}
		})
	}
}

func equal(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i], ",") != strings.Join(b[i], ",") {
			return false
		}
	}
	return true
}

// Combine copies the members and weights them; the combined model's
// probabilities are the weighted sum of the parts', and an ensemble given
// as a part contributes its members with their weights scaled.
func TestCombine(t *testing.T) {
	a, b := filepath.Join("testdata", "format1", "iris-0"), filepath.Join("testdata", "format1", "iris-10")
	ma, err := Load(a)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := Load(b)
	if err != nil {
		t.Fatal(err)
	}
	pa, pb := score(t, ma), score(t, mb)

	dir := filepath.Join(t.TempDir(), "ens")
	bd, err := Combine(dir, []Part{{a, 3}, {b, 7}})
	if err != nil {
		t.Fatal(err)
	}
	if bd.Family != EnsembleFamily || bd.TrialID != -1 || len(bd.Members) != 2 || bd.Members[0].TrialID != 0 || bd.Members[1].TrialID != 10 {
		t.Fatalf("combined bundle %+v", bd)
	}
	for k := range 2 {
		if _, err := os.Stat(store.BundleModel(dir, k)); err != nil {
			t.Fatalf("member %d files: %v", k, err)
		}
	}
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if w := m.Members(); w[0].Weight != 0.3 || w[1].Weight != 0.7 {
		t.Fatalf("normalised weights %v, %v", w[0].Weight, w[1].Weight)
	}
	P := score(t, m)
	r, k := P.Dims()
	for i := range r {
		for j := range k {
			if want := 0.3*pa.At(i, j) + 0.7*pb.At(i, j); math.Abs(P.At(i, j)-want) > 1e-12 {
				t.Fatalf("row %d class %d: %v, want %v", i, j, P.At(i, j), want)
			}
		}
	}

	// A nested ensemble flattens: (0.3a + 0.7b) with weight 1 and a with 1.
	nested := filepath.Join(t.TempDir(), "nested")
	nb, err := Combine(nested, []Part{{dir, 1}, {a, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(nb.Members) != 3 || math.Abs(nb.Members[0].Weight-0.3) > 1e-15 || math.Abs(nb.Members[1].Weight-0.7) > 1e-15 || nb.Members[2].Weight != 1 {
		t.Fatalf("nested members %+v", nb.Members)
	}
	mn, err := Load(nested)
	if err != nil {
		t.Fatal(err)
	}
	Pn := score(t, mn)
	for i := range r {
		for j := range k {
			if want := 0.65*pa.At(i, j) + 0.35*pb.At(i, j); math.Abs(Pn.At(i, j)-want) > 1e-12 {
				t.Fatalf("nested: row %d class %d: %v, want %v", i, j, Pn.At(i, j), want)
			}
		}
	}
}

func TestCombineRefuses(t *testing.T) {
	a := filepath.Join("testdata", "format1", "iris-0")
	other := t.TempDir()
	if _, err := Combine(other+"/x", []Part{{a, 1}}); err != nil {
		t.Fatal(err)
	}
	b, err := Read(other + "/x")
	if err != nil {
		t.Fatal(err)
	}
	b.Classes = []string{"a", "b", "c"}
	if err := b.Write(other + "/x"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		parts []Part
		want  string
	}{
		{"no parts", nil, "no parts"},
		{"zero weight", []Part{{a, 0}}, "weight 0"},
		{"other classes", []Part{{a, 1}, {other + "/x", 1}}, "predicts"},
		{"not a bundle", []Part{{t.TempDir(), 1}}, "not a model bundle"},
	} {
		if _, err := Combine(filepath.Join(t.TempDir(), "out"), c.parts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

// Read refuses what it cannot score, naming the file and the problem.
func TestReadRejects(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "format1", "iris-0", "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, from, to, want string }{
		{"future format", `"format": 1`, `"format": 3`, "bundle format 3"},
		{"no prep", `"prep": {`, `"prep": null, "x": {`, "no preprocessing"},
		{"one class", `"Iris-versicolor",`, ``, "3 classes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			s := strings.Replace(string(raw), c.from, c.to, 1)
			if c.name == "one class" {
				s = strings.Replace(strings.Replace(s, `"Iris-setosa",`, ``, 1), `"Iris-versicolor",`, ``, 1)
				c.want = "1 classes"
			}
			os.WriteFile(store.Bundle(dir), []byte(s), 0o644)
			_, err := Read(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "model.json") {
				t.Fatalf("err = %v, want one naming model.json and %q", err, c.want)
			}
		})
	}
}

// "best" resolves through experiment.json's best trial id.
func TestResolveBest(t *testing.T) {
	exp := t.TempDir()
	l := store.At(exp)
	if _, err := Resolve(filepath.Join(exp, "best")); err == nil {
		t.Fatal("no experiment.json: no error")
	}
	store.WriteJSON(l.Experiment(), map[string]any{"name": "x"})
	if _, err := Resolve(filepath.Join(exp, "best")); err == nil || !strings.Contains(err.Error(), "no successful trial") {
		t.Fatalf("err = %v", err)
	}
	store.WriteJSON(l.Experiment(), map[string]any{"name": "x", "best": 4})
	for _, p := range []string{filepath.Join(exp, "best"), filepath.Join(exp, "trials", "best")} {
		if got, err := Resolve(p); err != nil || got != l.Trial(4) {
			t.Fatalf("Resolve(%s) = %s, %v; want %s", p, got, err, l.Trial(4))
		}
	}
}

func TestIsFile(t *testing.T) {
	for p, want := range map[string]bool{"model.json": true, "model": true, "model/gbdt.txt": true, "members": true,
		"members/1/model_state.json": true, "trial.json": false, "explain/shap_values.csv": false, "modelx": false, "notebook.ipynb": false} {
		if IsFile(p) != want {
			t.Errorf("IsFile(%q) = %v", p, !want)
		}
	}
}

// TestCombineLinks: on one file system the combined bundle shares its
// members' files (hard links) instead of copying them, and stays whole
// when the member's own bundle is deleted.
func TestCombineLinks(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join(root, "iris-0")
	if err := copyTree(filepath.Join("testdata", "format1", "iris-0"), src); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "ens")
	if _, err := Combine(dir, []Part{{src, 1}, {src, 1}}); err != nil {
		t.Fatal(err)
	}
	shared := 0
	filepath.WalkDir(store.BundleModel(src, 0), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(store.BundleModel(src, 0), p)
		a, errA := os.Stat(p)
		b, errB := os.Stat(filepath.Join(store.BundleModel(dir, 1), rel))
		if errA != nil || errB != nil {
			t.Fatalf("%s: %v %v", rel, errA, errB)
		}
		if os.SameFile(a, b) {
			shared++
		}
		return nil
	})
	if shared == 0 {
		t.Fatal("the combined bundle copied its member's files instead of linking them")
	}
	if err := os.RemoveAll(src); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err != nil {
		t.Fatalf("the combined bundle after its member was deleted: %v", err)
	}
}

// TestCopyTreeLinks: Combine's member files are hard links to the parts'
// files (no second copy on disk) that stay whole when a part's file is
// replaced (as every write does, by a rename) or removed (retention).
func TestCopyTreeLinks(t *testing.T) {
	root := t.TempDir()
	src, dst := filepath.Join(root, "trial", "model"), filepath.Join(root, "ens", "members", "0")
	if err := store.WriteFile(filepath.Join(src, "sub", "model.txt"), []byte("trees")); err != nil {
		t.Fatal(err)
	}
	if err := copyTree(src, dst); err != nil {
		t.Fatal(err)
	}
	a, err := os.Stat(filepath.Join(src, "sub", "model.txt"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.Stat(filepath.Join(dst, "sub", "model.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(a, b) {
		t.Error("the member file is a copy, not a link to the part's")
	}
	if err := copyTree(src, dst); err != nil { // again: replaces the links
		t.Fatalf("copying over earlier links: %v", err)
	}
	if err := store.WriteFile(filepath.Join(src, "sub", "model.txt"), []byte("other trees")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(src); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dst, "sub", "model.txt"))
	if err != nil || string(got) != "trees" {
		t.Errorf("after the part was rewritten and removed: %q, %v", got, err)
	}
	if left, _ := store.RemoveTemps(filepath.Join(dst, "sub")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
