package store

import (
	"os"
	"path/filepath"
	"regexp"
)

// tempName matches the temporary files Write creates: "." + the target's
// name + ".tmp" + CreateTemp's random digits.
var tempName = regexp.MustCompile(`^\..+\.tmp[0-9]+$`)

// IsTemp reports whether a file name is one of Write's temporary files.
func IsTemp(name string) bool { return tempName.MatchString(name) }

// RemoveTemps removes the temporary files a killed writer left in the given
// folders (not below them) and returns their paths. Only call it while no
// other process writes there: a temporary file in use cannot be told from a
// stale one. Folders that do not exist are skipped.
func RemoveTemps(dirs ...string) ([]string, error) {
	var removed []string
	for _, dir := range dirs {
		ents, err := os.ReadDir(dir)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return removed, err
		}
		for _, e := range ents {
			if e.Type().IsRegular() && IsTemp(e.Name()) {
				p := filepath.Join(dir, e.Name())
				if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
					return removed, err
				}
				removed = append(removed, p)
			}
		}
	}
	return removed, nil
}
