package main

import (
	"os"
	"testing"
)

func TestProfileFit(t *testing.T) {
	f := os.Getenv("GAMX")
	if f == "" {
		t.Skip("GAMX not set")
	}
	fam := os.Getenv("FAMILY")
	if fam == "" {
		fam = "gbdt"
	}
	if err := run(f, fam, 60, 30, 0.1, 31, 255, 2, "", 0); err != nil {
		t.Fatal(err)
	}
}
