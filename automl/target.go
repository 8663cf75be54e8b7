package automl

import (
	"fmt"
	"math"
	"strings"

	"github.com/goautoml/automl/dataset"
)

// Beyond these counts of distinct values, a numeric target is taken for an
// amount to predict (regression), which this tool does not do: with
// decimals, more than maxFractionalClasses; whole numbers, more than
// maxIntegerClasses (scores from 1 to 10 or codes stay classes).
const (
	maxFractionalClasses = 10
	maxIntegerClasses    = 50
)

// checkTarget refuses, in words a person who does not program can act on,
// a target that holds amounts rather than categories. Other faults of the
// target (absent, one class, rare classes) are dataset.EncodeTarget's.
func checkTarget(f *dataset.Frame, column string) error {
	c := f.Column(column)
	if c == nil || c.Num == nil || (c.Kind != dataset.Numeric && c.Kind != dataset.ID) {
		return nil
	}
	distinct := map[string]struct{}{}
	fractional := false
	var examples []string
	for i := range c.Len() {
		if c.Missing[i] {
			continue
		}
		s := c.String(i)
		if _, seen := distinct[s]; !seen {
			distinct[s] = struct{}{}
			if len(examples) < 3 {
				examples = append(examples, s)
			}
		}
		if v := c.Num[i]; v != math.Trunc(v) {
			fractional = true
		}
	}
	n := len(distinct)
	if (fractional && n > maxFractionalClasses) || n > maxIntegerClasses {
		return fmt.Errorf("%s: column %q holds numbers (%d different values, such as %s): this tool predicts categories only (classification), not amounts. Pick a column whose values are categories, such as yes/no or good/bad, as the target",
			f.Path, column, n, strings.Join(examples, ", "))
	}
	return nil
}

// noFeatures says why no column is left to learn from.
func noFeatures(f *dataset.Frame, target string, dropped []DroppedColumn) error {
	if len(dropped) == 0 {
		return fmt.Errorf("%s: the file has no column besides the target %q: add the columns the prediction should be made from", f.Path, target)
	}
	return fmt.Errorf("%s: no column is left to learn from: every column besides the target was set aside (%s)", f.Path, droppedList(dropped))
}
