package dataset

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"sync/atomic"
)

var errTooLarge = errors.New("input larger than the limit")

// source streams one file's bytes, decompressed when gz is set, from a
// goroutine that also hashes the stored bytes, so that reading the disk,
// hashing and inflating overlap with parsing.
type source struct {
	gz   bool
	size int64        // stored size
	read atomic.Int64 // stored bytes read so far
	r    io.Reader    // the decoded bytes
	raw  io.Reader    // the stored bytes, hashed as read (small inputs, read in the caller's goroutine)
	pr   *io.PipeReader
	h    hash.Hash
	done chan struct{} // closed when the producer has stopped; err is then set
	err  error
}

// syncBytes is the size under which a plain input is read without a goroutine.
const syncBytes = 4 << 20

func newSource(in Input, gz bool, maxBytes int64) *source {
	s := &source{gz: gz, size: in.Size, h: sha256.New(), done: make(chan struct{})}
	if !gz && in.Size <= syncBytes {
		s.raw = io.TeeReader(&counter{r: io.NewSectionReader(in.R, 0, in.Size), n: &s.read}, s.h)
		s.r = s.raw
		if maxBytes > 0 {
			s.r = &limited{r: s.raw, left: maxBytes}
		}
		close(s.done)
		return s
	}
	pr, pw := io.Pipe()
	s.pr, s.r = pr, pr
	go func() {
		raw := io.TeeReader(&counter{r: io.NewSectionReader(in.R, 0, in.Size), n: &s.read}, s.h)
		var r io.Reader = raw
		var err error
		if gz {
			var zr *gzip.Reader
			if zr, err = gzip.NewReader(raw); err == nil {
				r = zr
			}
		}
		if err == nil {
			if maxBytes > 0 {
				r = &limited{r: r, left: maxBytes}
			}
			_, err = io.Copy(pw, r)
		}
		if err == nil { // the hash covers every stored byte, trailing ones too
			_, err = io.Copy(io.Discard, raw)
		}
		pw.CloseWithError(err)
		s.err = err
		close(s.done)
	}()
	return s
}

func (s *source) Read(p []byte) (int, error) { return s.r.Read(p) }

// sum waits for the producer and returns the stored bytes' hex sha256.
func (s *source) sum() (string, error) {
	<-s.done
	if s.raw != nil {
		if _, err := io.Copy(io.Discard, s.raw); err != nil {
			return "", err
		}
	}
	if s.err != nil {
		return "", s.err
	}
	return hex.EncodeToString(s.h.Sum(nil)), nil
}

// close stops the producer (if still running) and waits for it.
func (s *source) close() {
	if s.pr != nil {
		s.pr.CloseWithError(errors.New("read abandoned"))
	}
	<-s.done
}

type counter struct {
	r io.Reader
	n *atomic.Int64
}

func (c *counter) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n.Add(int64(k))
	return k, err
}

type limited struct {
	r    io.Reader
	left int64
}

func (l *limited) Read(p []byte) (int, error) {
	k, err := l.r.Read(p)
	l.left -= int64(k)
	if l.left < 0 {
		return k, errTooLarge
	}
	return k, err
}
