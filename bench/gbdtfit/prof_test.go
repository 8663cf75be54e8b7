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
	if err := run(f, "gbdt", 60, 100, 0.1, 31, 255, 2, "", 0); err != nil {
		t.Fatal(err)
	}
}
