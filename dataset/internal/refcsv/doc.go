// Package refcsv is the delimited-text reader as it was before the streaming,
// typed reader replaced it (one string per cell, whole file in memory). It is
// kept unchanged as the reference the dataset package's tests and fuzz target
// check the new reader against: same kinds, values, texts, lines and hash
// for the same bytes.
package refcsv
