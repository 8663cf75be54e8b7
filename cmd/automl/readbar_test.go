package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/goautoml/automl/dataset"
)

func TestReadLine(t *testing.T) {
	p := dataset.Progress{Bytes: 30 << 20, Total: 60 << 20, Rows: 123456, Elapsed: 2 * time.Second}
	want := "reading big.csv [============            ]  50% 30.0/60.0 MB, 123456 rows, 15.0 MB/s, 2s left"
	if got := readLine("big.csv", p); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if readBar(&bytes.Buffer{}, "x", false) != nil {
		t.Error("a bar is drawn on a writer that is not a terminal")
	}
}
