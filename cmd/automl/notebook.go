package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/notebookgen"
	"github.com/goautoml/automl/store"
)

func init() {
	register(command{"notebook", "write a trial's reproducible notebook (runs/<exp>/trials/<id>/notebook.ipynb)", cmdNotebook})
}

func cmdNotebook(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("notebook", stderr)
	trial := fs.String("trial", "best", `trial to write: a trial number or "best"`)
	explore := fs.Bool("explore", false, "also write the experiment's exploration notebook")
	dir, err := parseExperiment(fs, args, "automl notebook runs/<experiment> [--trial N|best] [--explore]")
	if err != nil {
		return err
	}
	st, err := automl.OpenStore(dir)
	if err != nil {
		return err
	}
	e, err := st.Experiment()
	if err != nil {
		return err
	}
	id := -1
	if *trial == "best" {
		if e.Best == nil {
			return fmt.Errorf("%s has no best trial yet", dir)
		}
		id = *e.Best
	} else if _, err := fmt.Sscan(*trial, &id); err != nil || id < 0 {
		return usagef("--trial %q: expected a trial number or best", *trial)
	}
	opt := notebookOptions(e)
	opt.StoreDir, _ = filepath.Abs(dir)
	path, err := notebookgen.WriteTrial(dir, id, opt)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, path)
	if *explore {
		nb, err := notebookgen.Exploration(e, opt)
		if err != nil {
			return err
		}
		data, err := nb.Marshal()
		if err != nil {
			return err
		}
		p := store.At(dir).ExplorationNotebook()
		if err := store.WriteFile(p, data); err != nil {
			return err
		}
		fmt.Fprintln(stdout, p)
	}
	return nil
}

// notebookOptions finds what a notebook needs at run time: absolute paths
// (notebooks run in their own folder) and the module checkout, from
// AUTOML_SRC or the enclosing module of the working directory.
func notebookOptions(e *automl.Experiment) notebookgen.Options {
	var o notebookgen.Options
	if e != nil {
		if abs, err := filepath.Abs(e.Data.Path); err == nil {
			o.DataPath = abs
		}
	}
	o.ModuleVersion = notebookgen.BinaryVersion()
	o.ModuleDir = os.Getenv("AUTOML_SRC")
	if o.ModuleDir == "" {
		o.ModuleDir = findModule()
	}
	return o
}

// findModule walks up from the working directory to the checkout of this module.
func findModule() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if f, err := os.Open(filepath.Join(dir, "go.mod")); err == nil {
			sc := bufio.NewScanner(f)
			found := sc.Scan() && strings.TrimSpace(strings.TrimPrefix(sc.Text(), "module")) == notebookgen.Module
			f.Close()
			if found {
				return dir
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
