package serving

import (
	"os/exec"
	"strings"
	"testing"
)

// Serving loads bundles through package bundle: neither it nor anything it
// imports pulls in the search engine.
func TestNoSearchEngineImport(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == "github.com/goautoml/automl/automl" {
			t.Fatal("serving depends on package automl")
		}
	}
	if !strings.Contains(string(out), "github.com/goautoml/automl/bundle\n") {
		t.Fatal("go list -deps does not list package bundle: the check looks at the wrong package")
	}
}
