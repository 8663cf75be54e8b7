package dataset

import (
	"fmt"
	"testing"
)

// TestIndexWide: on a wide frame Index answers from a map, and stays right
// when the columns are renamed, replaced or appended after a lookup.
func TestIndexWide(t *testing.T) {
	f := &Frame{}
	for j := range 200 {
		f.Columns = append(f.Columns, &Column{Name: fmt.Sprintf("c%03d", j)})
	}
	if got := f.Index("c150"); got != 150 {
		t.Fatalf("Index(c150) = %d", got)
	}
	if got := f.Index("nope"); got != -1 {
		t.Fatalf("Index(nope) = %d", got)
	}
	f.Columns[150].Name = "renamed"
	if got, old := f.Index("renamed"), f.Index("c150"); got != 150 || old != -1 {
		t.Fatalf("after a rename: Index(renamed) = %d, Index(c150) = %d", got, old)
	}
	f.Columns[10], f.Columns[20] = f.Columns[20], f.Columns[10]
	if a, b := f.Index("c010"), f.Index("c020"); a != 20 || b != 10 {
		t.Fatalf("after a swap: %d, %d", a, b)
	}
	f.Columns = append(f.Columns, &Column{Name: "new"})
	if got := f.Index("new"); got != 200 {
		t.Fatalf("after an append: Index(new) = %d", got)
	}
	f.Columns = f.Columns[1:]
	if got := f.Index("c001"); got != 0 {
		t.Fatalf("after dropping the first column: Index(c001) = %d", got)
	}
}
