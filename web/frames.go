package web

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/goautoml/automl/dataset"
)

// frameCache keeps the last few uploaded files read, so that checking
// targets and starting a search do not read a large CSV again each time.
// Frames are only read after dataset.Read returns them.
type frameCache struct {
	mu      sync.Mutex
	entries []cachedFrame // most recent last
}

type cachedFrame struct {
	path  string
	size  int64
	mod   time.Time
	frame *dataset.Frame
}

const cachedFrames = 4

func (c *frameCache) read(path string) (*dataset.Frame, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	for i, e := range c.entries {
		if e.path == path && e.size == fi.Size() && e.mod.Equal(fi.ModTime()) {
			c.entries = append(append(c.entries[:i:i], c.entries[i+1:]...), e)
			c.mu.Unlock()
			return e.frame, nil
		}
	}
	c.mu.Unlock()
	f, err := dataset.Read(path, dataset.Options{})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = append(c.entries, cachedFrame{path: path, size: fi.Size(), mod: fi.ModTime(), frame: f})
	if len(c.entries) > cachedFrames {
		c.entries = c.entries[len(c.entries)-cachedFrames:]
	}
	return f, nil
}

// forget drops the frames of files under dir.
func (c *frameCache) forget(dir string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = slices.DeleteFunc(c.entries, func(e cachedFrame) bool {
		return strings.HasPrefix(e.path, dir+string(filepath.Separator))
	})
}
