package automl

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/preprocess"
)

// prepared is a pipeline fitted on one fold's training rows (or a sample
// of them) and the matrices it made, shared between the trials with the
// same preprocessing and rows.
type prepared struct {
	once sync.Once
	err  error
	pipe *preprocess.Pipeline
	mats map[string]*matrix // by row set; guarded by Data.mu
}

// matrix is one row set through a pipeline.
type matrix struct {
	once  sync.Once
	x     *mat.Dense
	err   error
	users int // trials holding it; guarded by Data.mu
	bytes int
}

// rowSet names a set of frame rows to transform.
type rowSet struct {
	name string
	rows []int
}

// rowsOf is the row set of one role (train, val, test); within one fold's
// pipeline, the sets of a role differ by their size (samples are prefixes
// of one order).
func rowsOf(role string, rows []int) rowSet {
	return rowSet{name: fmt.Sprintf("%s/%d", role, len(rows)), rows: rows}
}

const maxCachedPipelines = 24

// matrixBudget bounds the bytes of matrices a sampled search keeps cached
// for later trials once no trial holds them; beyond it they are released.
// (A search on every row keeps each pipeline's three matrices, as it needs
// them again for every trial of that preprocessing.)
const matrixBudget = 256 << 20

// matrices fits (or reuses) the pipeline p on the training rows train of
// fold (in a sampled search, a rung's sample: within a fold, samples differ
// by their size) and transforms each row set (nil for an empty one). release must
// be called when the trial is done with the matrices.
func (d *Data) matrices(ctx context.Context, p preprocess.Spec, fold int, train []int, sets ...rowSet) (pipe *preprocess.Pipeline, xs []*mat.Dense, release func(), err error) {
	key, err := json.Marshal(p)
	if err != nil {
		return nil, nil, nil, err
	}
	k := fmt.Sprintf("%d|%d|%s", fold, len(train), key)
	d.mu.Lock()
	if d.cache == nil {
		d.cache = map[string]*prepared{}
	}
	e, ok := d.cache[k]
	if !ok {
		e = &prepared{mats: map[string]*matrix{}}
		if len(d.cache) < maxCachedPipelines {
			d.cache[k] = e
		}
	}
	d.mu.Unlock()
	e.once.Do(func() { e.pipe, e.err = p.Fit(d.Frame, train) })
	if e.err != nil {
		return nil, nil, func() {}, e.err
	}
	var held []*matrix
	release = func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		for i, m := range held {
			m.users--
			if m.users == 0 && m.bytes > 0 && d.Sampling != nil && d.cachedBytes > matrixBudget {
				delete(e.mats, sets[i].name)
				d.cachedBytes -= m.bytes
			}
		}
	}
	xs = make([]*mat.Dense, len(sets))
	for i, set := range sets {
		if len(set.rows) == 0 {
			held = append(held, &matrix{users: 1})
			continue
		}
		d.mu.Lock()
		m, ok := e.mats[set.name]
		if !ok {
			m = &matrix{}
			e.mats[set.name] = m
		}
		m.users++
		d.mu.Unlock()
		held = append(held, m)
		m.once.Do(func() {
			m.x, m.err = transform(ctx, e.pipe, d, set.rows)
			if m.err != nil && ctx.Err() != nil {
				// Cut short, not failed: a later trial makes it again.
				d.mu.Lock()
				if e.mats[set.name] == m {
					delete(e.mats, set.name)
				}
				d.mu.Unlock()
			}
			if m.err == nil {
				r, c := m.x.Dims()
				d.mu.Lock()
				m.bytes = 8 * r * c
				d.cachedBytes += m.bytes
				d.mu.Unlock()
			}
		})
		if m.err != nil {
			release()
			return nil, nil, func() {}, m.err
		}
		xs[i] = m.x
	}
	return e.pipe, xs, release, nil
}

// chunkRows is how many rows predictChunks and transform handle at a
// time (between two looks at the context).
var chunkRows = 16384

// transform is pipe.Transform of rows, by chunks of chunkRows rows when
// there are more, so that a large matrix stops being made when ctx ends.
func transform(ctx context.Context, pipe *preprocess.Pipeline, d *Data, rows []int) (*mat.Dense, error) {
	if len(rows) <= 4*chunkRows {
		return pipe.Transform(d.Frame, rows)
	}
	var out *mat.Dense
	for lo := 0; lo < len(rows); lo += chunkRows {
		if err := ctx.Err(); err != nil {
			return nil, context.Cause(ctx)
		}
		part := rows[lo:min(len(rows), lo+chunkRows)]
		x, err := pipe.Transform(d.Frame, part)
		if err != nil {
			return nil, err
		}
		_, c := x.Dims()
		if out == nil {
			out = mat.NewDense(len(rows), c, nil)
		}
		out.Slice(lo, lo+len(part), 0, c).(*mat.Dense).Copy(x)
	}
	return out, nil
}

// predictChunks predicts rows through pipe chunk by chunk, so that the
// matrix of all of them is never held.
func predictChunks(ctx context.Context, d *Data, pipe *preprocess.Pipeline, rows []int, classes int, predict func(*mat.Dense, []int) (*mat.Dense, error)) (*mat.Dense, error) {
	out := mat.NewDense(len(rows), classes, nil)
	for lo := 0; lo < len(rows); lo += chunkRows {
		if err := ctx.Err(); err != nil {
			return nil, context.Cause(ctx)
		}
		part := rows[lo:min(len(rows), lo+chunkRows)]
		x, err := pipe.Transform(d.Frame, part)
		if err != nil {
			return nil, fmt.Errorf("preprocessing: %w", err)
		}
		p, err := predict(x, part)
		if err != nil {
			return nil, err
		}
		out.Slice(lo, lo+len(part), 0, classes).(*mat.Dense).Copy(p)
	}
	return out, nil
}
