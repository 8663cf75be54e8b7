package main

import (
	"os"
	"runtime/debug"
)

// memoryLimit sets the Go runtime's soft memory limit for a search on a
// table of rows × cols cells, unless GOMEMLIMIT sets one: eight times its
// typed size at 8 bytes a cell, and at least 1 GiB. Without it the heap
// may grow to twice what is live before a collection (GOGC=100), which on
// a large table is where the peak comes from: the refit of a search on
// samples holds a matrix of every training row, and the limit makes the
// collector run earlier rather than let the heap double. It is a soft
// limit: a search that needs more gets more.
func memoryLimit(rows, cols int) int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1)
	}
	limit := max(1<<30, 8*8*int64(rows)*int64(cols))
	debug.SetMemoryLimit(limit)
	return limit
}
