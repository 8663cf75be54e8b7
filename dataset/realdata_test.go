package dataset

import (
	"path/filepath"
	"slices"
	"testing"
)

// TestRealFiles reads the real data sets in testdata and checks kinds,
// missing counts and class counts. Figures for whole files are those of
// ../shared/datasets/README.md (beside the repository); figures for slices were counted with
// pandas (see testdata/README.md).
func TestRealFiles(t *testing.T) {
	cases := []struct {
		file    string
		delim   rune
		rows    int
		target  string
		classes []string
		counts  []int
		missing map[string]int
		kinds   map[string]Kind
		numeric int // Numeric feature columns (target excluded)
	}{
		{
			file: "titanic.csv", delim: ',', rows: 891, target: "Survived",
			classes: []string{"0", "1"}, counts: []int{549, 342},
			missing: map[string]int{"Age": 177, "Cabin": 687, "Embarked": 2},
			kinds: map[string]Kind{"PassengerId": ID, "Survived": Boolean, "Pclass": Numeric, "Name": Text,
				"Sex": Categorical, "Age": Numeric, "Ticket": Categorical, "Fare": Numeric, "Cabin": Categorical},
			numeric: 5, // README's 6 counts PassengerId, read here as ID
		},
		{
			file: "iris.csv", delim: ',', rows: 150, target: "class",
			classes: []string{"Iris-setosa", "Iris-versicolor", "Iris-virginica"}, counts: []int{50, 50, 50},
			kinds:   map[string]Kind{"sepallength": Numeric, "class": Categorical},
			numeric: 4,
		},
		{
			file: "german_credit_uci_coded.csv", delim: ',', rows: 1000, target: "class",
			classes: []string{"1", "2"}, counts: []int{700, 300},
			kinds: map[string]Kind{"Status of existing checking account": Categorical, "Duration in month": Numeric,
				"Number of people being liable to provide maintenance for": Numeric, "class": Numeric},
			numeric: 7,
		},
		{
			file: "telco_slice.csv", delim: ',', rows: 410, target: "Churn",
			classes: []string{"No", "Yes"}, counts: []int{308, 102},
			missing: map[string]int{"TotalCharges": 11},
			kinds: map[string]Kind{"customerID": ID, "SeniorCitizen": Boolean, "Partner": Boolean, "tenure": Numeric,
				"MultipleLines": Categorical, "TotalCharges": Numeric, "Churn": Boolean},
			numeric: 3,
		},
		{
			file: "bank_full_head.csv", delim: ';', rows: 299, target: "y",
			classes: []string{"no", "yes"}, counts: []int{293, 6},
			kinds: map[string]Kind{"age": Numeric, "job": Categorical, "default": Boolean, "balance": Numeric,
				"month": Categorical, "pdays": Numeric, "y": Boolean},
			numeric: 7,
		},
		{
			file: "adult_slice.csv", delim: ',', rows: 1000, target: "class",
			classes: []string{"<=50K", ">50K"}, counts: []int{768, 232},
			missing: map[string]int{"workclass": 62, "occupation": 62, "native-country": 18},
			kinds:   map[string]Kind{"age": Numeric, "workclass": Categorical, "fnlwgt": Numeric, "sex": Categorical},
			numeric: 6,
		},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			f, err := Read(filepath.Join("testdata", tc.file), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if f.Delimiter != tc.delim || f.NumRows() != tc.rows || f.DecimalComma {
				t.Errorf("delimiter %q rows %d decimal comma %v; want %q %d false", f.Delimiter, f.NumRows(), f.DecimalComma, tc.delim, tc.rows)
			}
			numeric := 0
			for _, c := range f.Columns {
				if c.Name != tc.target && c.Kind == Numeric {
					numeric++
				}
				m := 0
				for _, x := range c.Missing {
					if x {
						m++
					}
				}
				if m != tc.missing[c.Name] {
					t.Errorf("column %q: %d missing, want %d", c.Name, m, tc.missing[c.Name])
				}
				if k, ok := tc.kinds[c.Name]; ok && c.Kind != k {
					t.Errorf("column %q: kind %s, want %s", c.Name, c.Kind, k)
				}
			}
			if numeric != tc.numeric {
				t.Errorf("%d numeric features, want %d", numeric, tc.numeric)
			}
			tg, err := EncodeTarget(f, tc.target, "")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(tg.Classes, tc.classes) || !slices.Equal(tg.Counts, tc.counts) || tg.Dropped != 0 {
				t.Errorf("classes %q counts %v dropped %d; want %q %v 0", tg.Classes, tg.Counts, tg.Dropped, tc.classes, tc.counts)
			}
		})
	}
}

func TestTelcoTotalCharges(t *testing.T) {
	f, err := Read(filepath.Join("testdata", "telco_slice.csv"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := f.Column("TotalCharges")
	// Row 0: 7590-VHVEG, TotalCharges 29.85; the last 11 rows hold " ".
	if c.Num[0] != 29.85 || c.Missing[0] {
		t.Errorf("row 0: %v", c.Num[0])
	}
	for i := f.NumRows() - 11; i < f.NumRows(); i++ {
		if !c.Missing[i] || c.String(i) != "" {
			t.Errorf("row %d (line %d) not missing: %q", i, f.Line(i), c.String(i))
		}
	}
	p := ProfileFrame(f)
	if !hasAlert(p, "TotalCharges", AlertMissingValues) {
		t.Errorf("no missing_values alert on TotalCharges: %v", p.Alerts)
	}
}
