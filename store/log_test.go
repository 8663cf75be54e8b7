package store

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLogRepair(t *testing.T) {
	for _, tc := range []struct {
		name, in, want, warn string
	}{
		{"clean", "{\"id\":0}\n{\"id\":1}\n", "{\"id\":0}\n{\"id\":1}\n", ""},
		{"torn", "{\"id\":0}\n{\"id\":1}\n{\"id\":2,\"sta", "{\"id\":0}\n{\"id\":1}\n", "torn last line"},
		{"not a record", "{\"id\":0}\n\x00\x00\x00\n{\"id\":1}\n", "{\"id\":0}\n{\"id\":1}\n", "not trial records"},
		{"order", "{\"id\":0}\n{\"id\":2}\n{\"id\":1}\n", "{\"id\":0}\n{\"id\":1}\n{\"id\":2}\n", "trial-ID order"},
		{"duplicates", "{\"id\":0,\"a\":1}\n{\"id\":1}\n{\"id\":0,\"a\":2}\n", "{\"id\":0,\"a\":1}\n{\"id\":1}\n", "duplicates=1"},
		{"absent", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), TrialLogFile)
			if tc.in != "" {
				os.WriteFile(path, []byte(tc.in), 0o644)
			}
			var warn bytes.Buffer
			l, err := OpenLog(path, slog.New(slog.NewTextHandler(&warn, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			got, _ := os.ReadFile(path)
			if string(got) != tc.want {
				t.Errorf("repaired log %q, want %q", got, tc.want)
			}
			if tc.warn == "" && warn.Len() > 0 || !strings.Contains(warn.String(), tc.warn) {
				t.Errorf("warnings %q, want %q", warn.String(), tc.warn)
			}
		})
	}
}

func TestLogAppendKeepsIDOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), TrialLogFile)
	l, err := OpenLog(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int{0, 1, 4, 5, 2, 3, 6} {
		if err := l.Append(id, []byte(`{"id":`+string(rune('0'+id))+`}`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Append(4, []byte(`{"id":4}`)); err == nil {
		t.Error("a second record of trial 4 was accepted")
	}
	l.Close()
	got, _ := os.ReadFile(path)
	want := "{\"id\":0}\n{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n{\"id\":4}\n{\"id\":5}\n{\"id\":6}\n"
	if string(got) != want {
		t.Errorf("log %q, want %q", got, want)
	}
}
