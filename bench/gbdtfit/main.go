// Command gbdtfit fits one tree model of package models/tree on a .gamx
// matrix (written by models/tree/testdata/xgb_reference.py) and prints the
// fit time and test ROC AUC as one JSON line; bench/gbdt.sh runs it beside
// XGBoost.
package main

import (
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
		workers = flag.Int("workers", 2, "goroutines")
		catFile = flag.String("categorical", "", "JSON list of per-column categorical flags (native categorical splits)")
		score   = flag.Int("score", 0, "also time leaves scoring of this many rows")
	)
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: gbdtfit [flags] file.gamx")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *family, *rounds, *trees, *lr, *leaves, *bins, *workers, *catFile, *score); err != nil {
		fmt.Fprintln(os.Stderr, "gbdtfit:", err)
		os.Exit(1)
	}
}

type model interface {
	Fit(ctx context.Context, X *mat.Dense, y []int, w []float64) error
	PredictProba(X *mat.Dense) (*mat.Dense, error)
	Ensemble() *tree.Ensemble
}

func run(path, family string, rounds, trees int, lr float64, leaves, bins, workers int, catFile string, score int) error {
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
			MinDataInLeaf: 0, MinSumHessian: 1, L2: 1, MaxBins: bins, CategoricalSplits: cat}, cfg)
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
		s, err := tree.LoadModel(filepath.Join(dir, tree.ModelFile))
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

// readGamx reads the matrix format of xgb_reference.py.
func readGamx(path string) (Xtr *mat.Dense, ytr []int, Xte *mat.Dense, yte []int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	defer f.Close()
	var hdr struct {
		Magic      [4]byte
		Rows, Cols uint64
	}
	if err := binary.Read(f, binary.LittleEndian, &hdr); err != nil || !bytes.Equal(hdr.Magic[:], []byte("GAMX")) {
		return nil, nil, nil, nil, fmt.Errorf("%s: not a GAMX matrix file", path)
	}
	n, d := int(hdr.Rows), int(hdr.Cols)
	buf := make([]byte, 8*n*d)
	if _, err := io.ReadFull(f, buf); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	ybuf := make([]byte, 8*n)
	flags := make([]byte, n)
	if _, err := io.ReadFull(f, ybuf); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := io.ReadFull(f, flags); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	ntr := 0
	for _, t := range flags {
		if t == 0 {
			ntr++
		}
	}
	Xtr, Xte = mat.NewDense(ntr, d, nil), mat.NewDense(n-ntr, d, nil)
	itr, ite := 0, 0
	for i := 0; i < n; i++ {
		dst := Xte.RawRowView(min(ite, n-ntr-1))
		if flags[i] == 0 {
			dst = Xtr.RawRowView(itr)
		}
		for j := 0; j < d; j++ {
			dst[j] = math.Float64frombits(binary.LittleEndian.Uint64(buf[8*(i*d+j):]))
		}
		c := int(math.Float64frombits(binary.LittleEndian.Uint64(ybuf[8*i:])))
		if flags[i] == 0 {
			ytr = append(ytr, c)
			itr++
		} else {
			yte = append(yte, c)
			ite++
		}
	}
	return Xtr, ytr, Xte, yte, nil
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
