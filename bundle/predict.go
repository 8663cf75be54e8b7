package bundle

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/goautoml/automl/dataset"
)

// CheckInputs checks that f has every column the model was trained on; the
// error names the file (name) and the missing columns.
func (m *Model) CheckInputs(f *dataset.Frame, name string) error {
	var missing, want []string
	for _, c := range m.Inputs {
		want = append(want, strconv.Quote(c.Name))
		if f.Column(c.Name) == nil {
			missing = append(missing, strconv.Quote(c.Name))
		}
	}
	switch {
	case len(missing) == 1:
		return fmt.Errorf("%s: the column %s is missing: the model was trained with it, so every row to score needs it (the model's columns: %s)", name, missing[0], strings.Join(want, ", "))
	case len(missing) > 1:
		return fmt.Errorf("%s: %d columns are missing: %s; the model was trained with them, so every row to score needs them (the model's columns: %s)", name, len(missing), strings.Join(missing, ", "), strings.Join(want, ", "))
	}
	return nil
}

// WritePredictions scores every row of f (read with the model's Kinds and
// checked with CheckInputs) and writes them to w as CSV: row (1-based),
// prediction, then probability_<class> per class with digits significant
// digits (-1: the fewest that read back exactly). name names f in errors.
// It returns the rows written.
func (m *Model) WritePredictions(w io.Writer, f *dataset.Frame, name string, digits int) (int, error) {
	if err := m.CheckInputs(f, name); err != nil {
		return 0, err
	}
	p, err := m.PredictProba(f)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	cw := csv.NewWriter(w)
	head := []string{"row", "prediction"}
	for _, c := range m.Classes {
		head = append(head, "probability_"+c)
	}
	cw.Write(head)
	rows, k := p.Dims()
	rec := make([]string, 2+k)
	for i := range rows {
		best := m.Label(p.RawRowView(i))
		rec[0], rec[1] = strconv.Itoa(i+1), m.Classes[best]
		for j := range k {
			rec[2+j] = strconv.FormatFloat(p.At(i, j), 'g', digits, 64)
		}
		cw.Write(rec)
	}
	cw.Flush()
	return rows, cw.Error()
}
