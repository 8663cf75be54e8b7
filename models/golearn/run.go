package golearn

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"

	"github.com/sjwhitworth/golearn/base"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/store"
)

// WriteCSV writes grid as CSV: a header of attribute names, then one line
// per row. Float attributes are written exactly (shortest form that reads
// back bit for bit; NaN as an empty, missing cell), every other attribute
// as golearn spells its value.
func WriteCSV(w io.Writer, grid base.FixedDataGrid) error {
	attrs := grid.AllAttributes()
	if len(attrs) == 0 {
		return fmt.Errorf("golearn: the grid has no attributes")
	}
	specs, err := resolve(grid, attrs)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	head := make([]string, len(attrs))
	for j, a := range attrs {
		head[j] = a.GetName()
		if head[j] == "" {
			return fmt.Errorf("golearn: attribute %d has no name", j)
		}
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	rec := make([]string, len(attrs))
	err = grid.MapOverRows(specs, func(row [][]byte, _ int) (bool, error) {
		for j, a := range attrs {
			if _, ok := a.(*base.FloatAttribute); ok {
				v := base.UnpackBytesToFloat(row[j])
				if math.IsNaN(v) {
					rec[j] = ""
				} else {
					rec[j] = strconv.FormatFloat(v, 'g', -1, 64)
				}
				continue
			}
			rec[j] = a.GetStringFromSysVal(row[j])
		}
		return true, cw.Write(rec)
	})
	if err != nil {
		return fmt.Errorf("golearn: %w", err)
	}
	cw.Flush()
	return cw.Error()
}

func resolve(grid base.FixedDataGrid, attrs []base.Attribute) ([]base.AttributeSpec, error) {
	specs := make([]base.AttributeSpec, len(attrs))
	for j, a := range attrs {
		s, err := grid.GetAttribute(a)
		if err != nil {
			return nil, fmt.Errorf("golearn: attribute %q: %w", a.GetName(), err)
		}
		specs[j] = s
	}
	return specs, nil
}

// Run searches for a model of grid's target attribute, as automl.Run does
// for a CSV file. target "" means the grid's one class attribute. The grid
// is written as CSV (WriteCSV) into the uploads folder of cfg.RunsDir,
// named by its sha256, and cfg.Data points there, so the experiment, its
// notebooks and its bundles refer to a file like any other experiment's.
// Columns are typed by the same inference as a CSV's: a categorical
// attribute whose values look like numbers becomes numeric.
func Run(ctx context.Context, grid base.FixedDataGrid, target string, cfg automl.Config, opt automl.Options) (*automl.Result, error) {
	if target == "" {
		cls := grid.AllClassAttributes()
		if len(cls) != 1 {
			return nil, fmt.Errorf("golearn: no target given and the grid has %d class attributes, want 1", len(cls))
		}
		target = cls[0].GetName()
	}
	found := false
	for _, a := range grid.AllAttributes() {
		found = found || a.GetName() == target
	}
	if !found {
		return nil, fmt.Errorf("golearn: the grid has no attribute %q", target)
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, grid); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b.Bytes())
	runs := cfg.RunsDir
	if runs == "" {
		runs = "runs"
	}
	path := filepath.Join(store.Uploads(runs), "golearn-"+hex.EncodeToString(sum[:8])+".csv")
	if err := store.WriteFile(path, b.Bytes()); err != nil {
		return nil, fmt.Errorf("golearn: %w", err)
	}
	cfg.Data, cfg.Target = path, target
	return automl.Run(ctx, cfg, opt)
}
