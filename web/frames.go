package web

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
	opts  string // the reading options, as optionsKey writes them
	size  int64
	mod   time.Time
	frame *dataset.Frame
}

const cachedFrames = 4

// optionsKey tells reading options apart (Progress aside).
func optionsKey(o dataset.Options) string {
	kinds := make([]string, 0, len(o.Kinds))
	for k, v := range o.Kinds {
		kinds = append(kinds, strconv.Quote(k)+"="+string(v))
	}
	slices.Sort(kinds)
	return fmt.Sprintf("%q|%q|%d|%d|%s", o.Delimiter, o.Encoding, o.MaxBytes, o.MaxRecordBytes, strings.Join(kinds, ","))
}

// read returns the frame of the file at path read with opts, from the cache
// while the file is unchanged.
func (c *frameCache) read(path string, opts dataset.Options) (*dataset.Frame, error) {
	key := optionsKey(opts)
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	for i, e := range c.entries {
		if e.path == path && e.opts == key && e.size == fi.Size() && e.mod.Equal(fi.ModTime()) {
			c.entries = append(append(c.entries[:i:i], c.entries[i+1:]...), e)
			c.mu.Unlock()
			return e.frame, nil
		}
	}
	c.mu.Unlock()
	f, err := dataset.Read(path, opts)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = append(c.entries, cachedFrame{path: path, opts: key, size: fi.Size(), mod: fi.ModTime(), frame: f})
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
