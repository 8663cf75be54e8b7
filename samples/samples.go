// Package samples embeds the data sets bundled with the product, so that the
// demo and the web UI work without any download.
package samples

import (
	_ "embed"
	"os"
	"path/filepath"
)

// GermanCredit is the UCI Statlog German Credit data, coded form (1,000 rows,
// 20 features, target "class": 1 = good, 2 = bad). See README.md here for
// its source.
//
//go:embed german_credit.csv
var GermanCredit []byte

// GermanCreditName is the file name the sample is written under.
const GermanCreditName = "german_credit.csv"

// WriteGermanCredit writes the sample into dir (once: an existing identical
// file is left alone) and returns its path.
func WriteGermanCredit(dir string) (string, error) {
	path := filepath.Join(dir, GermanCreditName)
	if b, err := os.ReadFile(path); err == nil && string(b) == string(GermanCredit) {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return path, os.WriteFile(path, GermanCredit, 0o644)
}
