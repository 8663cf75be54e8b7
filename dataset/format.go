package dataset

import (
	"context"
	"io"
	"sync"
)

// Input is one stored file handed to a format's reader.
type Input struct {
	Name string      // as the caller gave it: used in messages and as Frame.Path
	R    io.ReaderAt // the file's bytes as stored
	Size int64
}

// Format is an input format: a name, the magic bytes that identify its files
// and the function that reads one into a Frame. The reader must name Input.Name
// in every error the file's content causes (a *ParseError), set Frame.SHA256 to
// the stored bytes' hash, honour Options and stop when ctx is done.
type Format struct {
	Name string
	// Magic is the prefix that identifies the format's files; '?' matches any
	// byte. The format registered with an empty Magic is the fallback (delimited text).
	Magic string
	Read  func(ctx context.Context, in Input, opt Options) (*Frame, error)
}

var (
	formatsMu sync.RWMutex
	formats   []Format
)

// RegisterFormat adds a format to those Read recognises, as image.RegisterFormat
// does for images: a file is read by the first registered format whose magic
// its first bytes match, else by the one with empty magic. The package registers
// "parquet" (PAR1), "csv.gz" (gzip magic 1f 8b: gzip-compressed delimited text)
// and "csv" (the fallback).
func RegisterFormat(f Format) {
	formatsMu.Lock()
	defer formatsMu.Unlock()
	formats = append(formats, f)
}

// Formats lists the registered formats' names, in registration order.
func Formats() []string {
	formatsMu.RLock()
	defer formatsMu.RUnlock()
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.Name
	}
	return names
}

// sniff returns the format of a file starting with head.
func sniff(head []byte) Format {
	formatsMu.RLock()
	defer formatsMu.RUnlock()
	var fallback Format
	for _, f := range formats {
		if f.Magic == "" {
			if fallback.Read == nil {
				fallback = f
			}
			continue
		}
		if matchMagic(f.Magic, head) {
			return f
		}
	}
	return fallback
}

func matchMagic(magic string, head []byte) bool {
	if len(head) < len(magic) {
		return false
	}
	for i := range len(magic) {
		if magic[i] != '?' && magic[i] != head[i] {
			return false
		}
	}
	return true
}

func init() {
	RegisterFormat(Format{Name: "parquet", Magic: "PAR1", Read: readParquet})
	RegisterFormat(Format{Name: "csv.gz", Magic: "\x1f\x8b", Read: func(ctx context.Context, in Input, opt Options) (*Frame, error) {
		return readDelimited(ctx, in, opt, true)
	}})
	RegisterFormat(Format{Name: "csv", Read: func(ctx context.Context, in Input, opt Options) (*Frame, error) {
		return readDelimited(ctx, in, opt, false)
	}})
}
