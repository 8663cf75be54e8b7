package notebookgen

import (
	"strings"
	"testing"
)

// TestModulePinned: a notebook written by a released (or pseudo-versioned) binary requires
// the module at that version unless AUTOML_SRC is set; a development build falls back to the
// checkout.
func TestModulePinned(t *testing.T) {
	e, trials := recordedExperiment(t)
	for _, c := range []struct {
		version string
		want    []string
		not     string
	}{
		{"v1.2.3", []string{`-dropreplace=github.com/goautoml/automl -require=github.com/goautoml/automl@v1.2.3`,
			`-replace=github.com/goautoml/automl="$AUTOML_SRC"`}, "/src/automl"},
		{"v0.0.0-20261202100000-0123456789ab", []string{"@v0.0.0-20261202100000-0123456789ab;"}, "/src/automl"},
		{"v1.2.3+dirty", []string{`${AUTOML_SRC:-'/src/automl'}`}, "-dropreplace"},
		{"(devel)", []string{`${AUTOML_SRC:-'/src/automl'}`}, "-dropreplace"},
	} {
		o := fixedOptions
		o.ModuleVersion = c.version
		nb, err := Trial(e, trials[0], o)
		if err != nil {
			t.Fatal(err)
		}
		setup := nb.CodeCells()[0]
		for _, w := range c.want {
			if !strings.Contains(setup, w) {
				t.Errorf("%s: setup cell lacks %q:\n%s", c.version, w, setup)
			}
		}
		if strings.Contains(setup, c.not) {
			t.Errorf("%s: setup cell has %q:\n%s", c.version, c.not, setup)
		}
	}
}
