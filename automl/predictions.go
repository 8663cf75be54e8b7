package automl

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/store"
)

// The predictions file (trials/<id>/predictions.bin) keeps a finished
// trial's class probabilities on the rows that rank it, so that ensemble
// selection and decision thresholds choose without refitting. Layout,
// little-endian:
//
//	offset  size        field
//	0       4           magic "AMLP"
//	4       2           format version (1)
//	6       2           bytes per probability (4: float32)
//	8       4           classes C
//	12      4           rows N
//	16      4·N         frame row indices, uint32, strictly increasing
//	16+4N   4·N·C       probabilities, float32, row-major (row i, class c at i·C+c)
//
// Probabilities are stored as float32: they rank and select, they are not
// the recorded metrics (those are in the trial record at full precision).
const (
	predMagic   = "AMLP"
	predVersion = 1
	predHeader  = 16
)

// WritePredictions writes p to path atomically in the predictions format.
func WritePredictions(path string, p *Predictions) error {
	if err := p.check(); err != nil {
		return err
	}
	return store.Write(path, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 64<<10)
		var h [predHeader]byte
		copy(h[:4], predMagic)
		binary.LittleEndian.PutUint16(h[4:], predVersion)
		binary.LittleEndian.PutUint16(h[6:], 4)
		binary.LittleEndian.PutUint32(h[8:], uint32(p.Classes))
		binary.LittleEndian.PutUint32(h[12:], uint32(len(p.Rows)))
		bw.Write(h[:])
		var b [4]byte
		for _, r := range p.Rows {
			binary.LittleEndian.PutUint32(b[:], uint32(r))
			bw.Write(b[:])
		}
		for _, v := range p.Prob {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(float32(v)))
			bw.Write(b[:])
		}
		return bw.Flush()
	})
}

// ReadPredictions reads a predictions file.
func ReadPredictions(path string) (*Predictions, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := decodePredictions(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

func decodePredictions(b []byte) (*Predictions, error) {
	if len(b) < predHeader || string(b[:4]) != predMagic {
		return nil, errors.New("not a predictions file (no AMLP header)")
	}
	if v := binary.LittleEndian.Uint16(b[4:]); v != predVersion {
		return nil, fmt.Errorf("predictions format %d, this program reads format %d", v, predVersion)
	}
	if w := binary.LittleEndian.Uint16(b[6:]); w != 4 {
		return nil, fmt.Errorf("%d bytes per probability, expected 4", w)
	}
	c, n := int(binary.LittleEndian.Uint32(b[8:])), int(binary.LittleEndian.Uint32(b[12:]))
	if want := predHeader + 4*n + 4*n*c; c < 1 || len(b) != want {
		return nil, fmt.Errorf("%d bytes for %d rows of %d classes, expected %d", len(b), n, c, want)
	}
	p := &Predictions{Rows: make([]int, n), Classes: c, Prob: make([]float64, n*c)}
	off := predHeader
	for i := range p.Rows {
		p.Rows[i] = int(binary.LittleEndian.Uint32(b[off:]))
		off += 4
	}
	for i := range p.Prob {
		p.Prob[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[off:])))
		off += 4
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Predictions) check() error {
	switch {
	case p == nil:
		return errors.New("no predictions")
	case p.Classes < 1:
		return fmt.Errorf("predictions of %d classes", p.Classes)
	case len(p.Prob) != len(p.Rows)*p.Classes:
		return fmt.Errorf("%d probabilities for %d rows of %d classes", len(p.Prob), len(p.Rows), p.Classes)
	case uint64(len(p.Rows)) > math.MaxUint32:
		return fmt.Errorf("%d rows: the predictions format holds at most 2^32-1", len(p.Rows))
	}
	for i, r := range p.Rows {
		if r < 0 || uint64(r) > math.MaxUint32 || i > 0 && r <= p.Rows[i-1] {
			return fmt.Errorf("row %d (%d): rows must be distinct frame rows in increasing order", i, r)
		}
	}
	return nil
}

// Row is the probabilities of the i-th row.
func (p *Predictions) Row(i int) []float64 { return p.Prob[i*p.Classes : (i+1)*p.Classes] }

// collectPredictions gathers the validation probabilities of one fit (or of
// each cross-validation fold) into Predictions ordered by frame row.
type collectPredictions struct {
	rows []int
	prob [][]float64
}

func (c *collectPredictions) add(rows []int, p *mat.Dense) {
	for i, r := range rows {
		c.rows = append(c.rows, r)
		c.prob = append(c.prob, slices.Clone(p.RawRowView(i)))
	}
}

func (c *collectPredictions) predictions(classes int) *Predictions {
	if len(c.rows) == 0 {
		return nil
	}
	idx := make([]int, len(c.rows))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return c.rows[a] - c.rows[b] })
	p := &Predictions{Rows: make([]int, 0, len(idx)), Classes: classes, Prob: make([]float64, 0, len(idx)*classes)}
	for _, i := range idx {
		p.Rows = append(p.Rows, c.rows[i])
		p.Prob = append(p.Prob, c.prob[i]...)
	}
	return p
}
