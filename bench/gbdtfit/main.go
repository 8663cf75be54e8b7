// Command gbdtfit fits one tree model of package models/tree on a .gamx
// matrix (written by models/tree/testdata/xgb_reference.py) and prints the
// fit time and test ROC AUC as one JSON line; bench/gbdt.sh runs it beside
// XGBoost.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/models/tree"
)

func main() {
	var (
		family  = flag.String("family", "gbdt", "gbdt | rf | et")
		rounds  = flag.Int("rounds", 200, "boosting rounds")
		trees   = flag.Int("trees", 100, "forest trees")
		lr      = flag.Float64("lr", 0.1, "learning rate")
		leaves  = flag.Int("leaves", 31, "num_leaves")
		bins    = flag.Int("bins", 255, "max_bins")
		binning = flag.String("binning", tree.BinQuantile, "GBDT bin edges: quantile (as XGBoost hist) | greedy (as LightGBM)")
		workers = flag.Int("workers", 2, "goroutines")
		catFile = flag.String("categorical", "", "JSON list of per-column categorical flags (native categorical splits)")
		score   = flag.Int("score", 0, "also time leaves scoring of this many rows")
		profile = flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	)
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "gbdtfit:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: gbdtfit [flags] file.gamx")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *family, *rounds, *trees, *lr, *leaves, *bins, *binning, *workers, *catFile, *score); err != nil {
		fmt.Fprintln(os.Stderr, "gbdtfit:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

type model interface {
	Fit(ctx context.Context, X *mat.Dense, y []int, w []float64) error
	PredictProba(X *mat.Dense) (*mat.Dense, error)
	Ensemble() *tree.Ensemble
}

func run(path, family string, rounds, trees int, lr float64, leaves, bins int, binning string, workers int, catFile string, score int) error {
	Xtr, ytr, Xte, yte, err := readGamx(path)
	if err != nil {
		return err
	}
	_, d := Xtr.Dims()
	cfg := tree.Config{Classes: 2, Seed: 1, Workers: workers}
	cat := false
	if catFile != "" {
		data, err := os.ReadFile(catFile)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, &cfg.Categorical); err != nil {
			return fmt.Errorf("%s: %w", catFile, err)
		}
		cfg.Cardinality = make([]int, d)
		cat = true
	}
	var m model
	switch family {
	case "gbdt":
		m = tree.NewGBDT(tree.GBDTParams{Rounds: rounds, LearningRate: lr, NumLeaves: leaves, Growth: "leafwise",
			MinDataInLeaf: 0, MinSumHessian: 1, L2: 1, MaxBins: bins, Binning: binning, CategoricalSplits: cat}, cfg)
	case "rf":
		m = tree.NewRandomForest(tree.ForestParams{Trees: trees, Criterion: "gini", MinSamplesLeaf: 1,
			Bootstrap: true, MaxBins: bins, CategoricalSplits: cat}, cfg)
	case "et":
		m = tree.NewExtraTrees(tree.ForestParams{Trees: trees, Criterion: "gini", MinSamplesLeaf: 1,
			MaxBins: bins, CategoricalSplits: cat}, cfg)
	default:
		return fmt.Errorf("unknown family %q", family)
	}
	t0 := time.Now()
	if err := m.Fit(context.Background(), Xtr, ytr, nil); err != nil {
		return err
	}
	out := map[string]any{"family": family, "fit_seconds": time.Since(t0).Seconds()}
	if family == "gbdt" {
		out["binning"] = binning
	}
	P, err := m.PredictProba(Xte)
	if err != nil {
		return err
	}
	out["auc"] = auc(yte, mat.Col(nil, 1, P))
	if score > 0 {
		dir, err := os.MkdirTemp("", "gbdtfit")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if err := tree.Save(dir, m.Ensemble()); err != nil {
			return err
		}
		s, err := tree.LoadModel(filepath.Join(dir, tree.ModelGzFile))
		if err != nil {
			return err
		}
		s.SetWorkers(workers)
		n, _ := Xte.Dims()
		big := mat.NewDense(score, d, nil)
		for i := 0; i < score; i++ {
			copy(big.RawRowView(i), Xte.RawRowView(i%n))
		}
		t1 := time.Now()
		if _, err := s.PredictProba(big); err != nil {
			return err
		}
		out["score_rows_per_second"] = float64(score) / time.Since(t1).Seconds()
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

// readGamx reads the matrix format of xgb_reference.py, one row at a time
// (the labels and split flags follow the matrix, so X is read first into
// one dense matrix and split afterwards).
func readGamx(path string) (Xtr *mat.Dense, ytr []int, Xte *mat.Dense, yte []int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var hdr struct {
		Magic      [4]byte
		Rows, Cols uint64
	}
	if err := binary.Read(r, binary.LittleEndian, &hdr); err != nil || !bytes.Equal(hdr.Magic[:], []byte("GAMX")) {
		return nil, nil, nil, nil, fmt.Errorf("%s: not a GAMX matrix file", path)
	}
	n, d := int(hdr.Rows), int(hdr.Cols)
	X := make([]float64, n*d)
	ys := make([]float64, n)
	flags := make([]byte, n)
	if err := readFloats(r, X); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := readFloats(r, ys); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := io.ReadFull(r, flags); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	// move train rows to the front in place, test rows to a new matrix
	ntr := 0
	for _, t := range flags {
		if t == 0 {
			ntr++
		}
	}
	Xte = mat.NewDense(max(n-ntr, 1), d, nil)
	itr, ite := 0, 0
	for i := 0; i < n; i++ {
		row := X[i*d : (i+1)*d]
		if flags[i] == 0 {
			copy(X[itr*d:], row)
			ytr = append(ytr, int(ys[i]))
			itr++
		} else {
			copy(Xte.RawRowView(ite), row)
			yte = append(yte, int(ys[i]))
			ite++
		}
	}
	Xtr = mat.NewDense(ntr, d, X[:ntr*d])
	return Xtr, ytr, Xte, yte, nil
}

// readFloats fills dst with little-endian float64s from r, decoding in
// chunks so no second copy of the matrix is ever held.
func readFloats(r io.Reader, dst []float64) error {
	buf := make([]byte, 1<<20)
	for len(dst) > 0 {
		k := min(len(dst), len(buf)/8)
		if _, err := io.ReadFull(r, buf[:8*k]); err != nil {
			return err
		}
		for i := range dst[:k] {
			dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(buf[8*i:]))
		}
		dst = dst[k:]
	}
	return nil
}

// auc is the ROC AUC of scores s for labels y (1 positive), ties averaged.
func auc(y []int, s []float64) float64 {
	idx := make([]int, len(s))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return s[idx[a]] < s[idx[b]] })
	var rankSum float64
	npos := 0
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && s[idx[j]] == s[idx[i]] {
			j++
		}
		r := float64(i+j+1) / 2 // mean of ranks i+1..j
		for k := i; k < j; k++ {
			if y[idx[k]] == 1 {
				rankSum += r
				npos++
			}
		}
		i = j
	}
	nneg := len(y) - npos
	return (rankSum - float64(npos)*float64(npos+1)/2) / (float64(npos) * float64(nneg))
}
