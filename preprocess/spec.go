package preprocess

import (
	"errors"
	"fmt"

	"github.com/goautoml/automl/dataset"
)

// Strategy and encoding names accepted in a Spec.
const (
	ImputeMean         = "mean"
	ImputeMedian       = "median"
	ImputeMostFrequent = "most_frequent"
	ImputeConstant     = "constant"
	EncodeOneHot       = "onehot"
	EncodeOrdinal      = "ordinal"

	// DefaultFillValue is the constant imputed into categorical columns when
	// Spec.FillValue is empty.
	DefaultFillValue = "missing"
	// OtherName is the category name of the bucket that pools the categories
	// beyond Spec.MaxCategories (one-hot feature "col=__other__").
	OtherName = "__other__"
)

// Input names one column of the frame and the kind it is treated as.
type Input struct {
	Name string       `json:"name"`
	Kind dataset.Kind `json:"kind"`
}

// Spec is the preprocessing a trial asks for. It is a plain value: copying it
// is cloning it, and its JSON is its parameters.
//
// Empty strategy fields mean the defaults: NumericImpute "mean",
// CategoricalImpute "most_frequent", Encoding "onehot", FillValue "missing".
// The Pipeline returned by Fit holds the Spec with the defaults filled in.
type Spec struct {
	Columns           []Input `json:"columns"`
	NumericImpute     string  `json:"numeric_impute"`     // "mean" | "median"
	Scale             bool    `json:"scale"`              // standard scaling, population std (as sklearn)
	CategoricalImpute string  `json:"categorical_impute"` // "most_frequent" | "constant"
	FillValue         string  `json:"fill_value"`         // for "constant"; default "missing"
	Encoding          string  `json:"encoding"`           // "onehot" | "ordinal"
	MaxCategories     int     `json:"max_categories"`     // keep the N most frequent (ties by value); rest -> one "other" bucket; 0 = all
}

// Feature describes one output column of the numeric matrix.
type Feature struct {
	Name        string `json:"name"`        // "col" or "col=value" for one-hot parts, "col_year" for date parts
	Source      int    `json:"source"`      // index into Spec.Columns
	Categorical bool   `json:"categorical"` // ordinal category code 0..Cardinality-1
	Cardinality int    `json:"cardinality,omitempty"`
}

// datePart names the features derived from a datetime column, in output order.
var dateParts = [...]string{"year", "month", "day", "weekday", "hour"}

// withDefaults fills the empty strategy fields.
func (s Spec) withDefaults() Spec {
	if s.NumericImpute == "" {
		s.NumericImpute = ImputeMean
	}
	if s.CategoricalImpute == "" {
		s.CategoricalImpute = ImputeMostFrequent
	}
	if s.FillValue == "" {
		s.FillValue = DefaultFillValue
	}
	if s.Encoding == "" {
		s.Encoding = EncodeOneHot
	}
	s.Columns = append([]Input(nil), s.Columns...)
	return s
}

// Validate reports every problem with the spec at once: no columns, empty or
// repeated column names, kinds that are unknown or not accepted (text, id),
// unknown strategy or encoding names, and a negative MaxCategories.
func (s Spec) Validate() error {
	var errs []error
	if len(s.Columns) == 0 {
		errs = append(errs, errors.New("preprocess: spec has no input columns"))
	}
	seen := make(map[string]int, len(s.Columns))
	for i, c := range s.Columns {
		if c.Name == "" {
			errs = append(errs, fmt.Errorf("preprocess: columns[%d] has an empty name", i))
			continue
		}
		if j, dup := seen[c.Name]; dup {
			errs = append(errs, fmt.Errorf("preprocess: column %q appears twice (columns[%d] and columns[%d])", c.Name, j, i))
		} else {
			seen[c.Name] = i
		}
		switch c.Kind {
		case dataset.Numeric, dataset.Boolean, dataset.Categorical, dataset.Datetime:
		case dataset.Text, dataset.ID:
			errs = append(errs, fmt.Errorf("preprocess: column %q has kind %q, which is not accepted (exclude text and id columns)", c.Name, c.Kind))
		default:
			errs = append(errs, fmt.Errorf("preprocess: column %q has unknown kind %q (want numeric, boolean, categorical or datetime)", c.Name, c.Kind))
		}
	}
	switch s.NumericImpute {
	case "", ImputeMean, ImputeMedian:
	default:
		errs = append(errs, fmt.Errorf("preprocess: numeric_impute %q is unknown (want %q or %q)", s.NumericImpute, ImputeMean, ImputeMedian))
	}
	switch s.CategoricalImpute {
	case "", ImputeMostFrequent, ImputeConstant:
	default:
		errs = append(errs, fmt.Errorf("preprocess: categorical_impute %q is unknown (want %q or %q)", s.CategoricalImpute, ImputeMostFrequent, ImputeConstant))
	}
	switch s.Encoding {
	case "", EncodeOneHot, EncodeOrdinal:
	default:
		errs = append(errs, fmt.Errorf("preprocess: encoding %q is unknown (want %q or %q)", s.Encoding, EncodeOneHot, EncodeOrdinal))
	}
	if s.MaxCategories < 0 {
		errs = append(errs, fmt.Errorf("preprocess: max_categories is %d; want 0 (keep all) or a positive count", s.MaxCategories))
	}
	return errors.Join(errs...)
}
