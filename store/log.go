package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"slices"
)

// Log is an experiment's trial log (trials.jsonl) open for writing: one
// JSON object per line, each with an integer "id", in increasing ID order,
// every line synced to disk before Append returns.
type Log struct {
	path string
	f    *os.File
	last int // highest ID logged, -1 when none
	ids  map[int]bool
}

type logLine struct {
	id   int
	text []byte // without the newline
}

// OpenLog opens the trial log at path for appending (creating it when
// absent) after repairing it: a torn last line (no newline: a kill, a full
// disk or a power loss mid-write) is cut off, lines that are not a JSON
// object with an "id" are dropped, and lines out of ID order or repeating
// an ID (the first is kept) are put back in order. Each repair is reported
// on log as a warning; the repaired file replaces the old one atomically.
func OpenLog(path string, log *slog.Logger) (*Log, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	lines, torn, bad := parseLog(b)
	repaired := false
	if len(torn) > 0 {
		log.Warn("trial log: torn last line cut off", "file", path, "bytes", len(torn))
		repaired = true
	}
	if bad > 0 {
		log.Warn("trial log: lines that are not trial records dropped", "file", path, "lines", bad)
		repaired = true
	}
	if sorted := sortLines(lines); len(sorted) != len(lines) || !slices.EqualFunc(sorted, lines, func(a, b logLine) bool { return a.id == b.id }) {
		log.Warn("trial log: lines put back in trial-ID order", "file", path, "duplicates", len(lines)-len(sorted))
		lines, repaired = sorted, true
	}
	if repaired {
		if err := writeLines(path, lines); err != nil {
			return nil, fmt.Errorf("repair %s: %w", path, err)
		}
	}
	l := &Log{path: path, last: -1, ids: make(map[int]bool, len(lines))}
	for _, ln := range lines {
		l.ids[ln.id] = true
		l.last = max(l.last, ln.id)
	}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

// parseLog splits a log into its records, the torn tail (bytes after the
// last newline) and the number of lines that are not records.
func parseLog(b []byte) (lines []logLine, torn []byte, bad int) {
	if i := bytes.LastIndexByte(b, '\n'); i+1 < len(b) {
		b, torn = b[:i+1], b[i+1:]
	}
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		text := b[:i]
		b = b[i+1:]
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		var rec struct {
			ID *int `json:"id"`
		}
		if json.Unmarshal(text, &rec) != nil || rec.ID == nil {
			bad++
			continue
		}
		lines = append(lines, logLine{id: *rec.ID, text: text})
	}
	return lines, torn, bad
}

// sortLines orders lines by ID, keeping the first of lines with one ID.
func sortLines(lines []logLine) []logLine {
	out := slices.Clone(lines)
	slices.SortStableFunc(out, func(a, b logLine) int { return a.id - b.id })
	return slices.CompactFunc(out, func(a, b logLine) bool { return a.id == b.id })
}

func writeLines(path string, lines []logLine) error {
	return Write(path, func(w io.Writer) error {
		for _, ln := range lines {
			if _, err := w.Write(append(ln.text, '\n')); err != nil {
				return err
			}
		}
		return nil
	})
}

func (l *Log) open() error {
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	l.f = f
	return nil
}

// Has tells whether trial id is in the log.
func (l *Log) Has(id int) bool { return l.ids[id] }

// Append adds the record of trial id (one line of JSON, no newline) and
// syncs it. A record whose ID is below one already logged (a trial re-run
// after a resume, when later ones had finished) is put in its place: the
// log is rewritten in ID order, atomically. A record for an ID already
// logged is an error.
func (l *Log) Append(id int, line []byte) error {
	if l.f == nil {
		return errors.New("trial log is closed")
	}
	if bytes.IndexByte(line, '\n') >= 0 {
		return fmt.Errorf("trial %d: a log record must be one line", id)
	}
	if l.ids[id] {
		return fmt.Errorf("trial %d is logged already", id)
	}
	if id < l.last {
		if err := l.insert(id, line); err != nil {
			return err
		}
	} else {
		if _, err := l.f.Write(append(line[:len(line):len(line)], '\n')); err != nil {
			return err
		}
		if err := l.f.Sync(); err != nil {
			return err
		}
		l.last = id
	}
	l.ids[id] = true
	return nil
}

func (l *Log) insert(id int, line []byte) error {
	b, err := os.ReadFile(l.path)
	if err != nil {
		return err
	}
	lines, _, _ := parseLog(b)
	i, _ := slices.BinarySearchFunc(lines, id, func(ln logLine, id int) int { return ln.id - id })
	lines = slices.Insert(lines, i, logLine{id: id, text: line})
	l.f.Close()
	l.f = nil
	err = writeLines(l.path, lines)
	if oerr := l.open(); err == nil {
		err = oerr
	}
	return err
}

// Close closes the log.
func (l *Log) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
