package tree_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/models/tree"
)

// Boost a few rounds on a toy problem, save the model in LightGBM's text
// format and score it again through leaves.
func Example() {
	// y = 1 when x0 > 2 or x1 is missing
	X := mat.NewDense(8, 2, []float64{
		0, 1, 1, 1, 2, 0, 3, 0,
		4, 1, 5, 0, 1, nan(), 0, nan(),
	})
	y := []int{0, 0, 0, 1, 1, 1, 1, 1}
	m := tree.NewGBDT(tree.GBDTParams{Rounds: 20, LearningRate: 0.5, NumLeaves: 4, MinDataInLeaf: 1,
		MaxBins: 255}, tree.Config{Classes: 2, Seed: 1})
	if err := m.Fit(context.Background(), X, y, nil); err != nil {
		fmt.Println(err)
		return
	}
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	if err := tree.Save(dir, m.Ensemble()); err != nil {
		fmt.Println(err)
		return
	}
	s, err := tree.LoadModel(filepath.Join(dir, tree.ModelGzFile))
	if err != nil {
		fmt.Println(err)
		return
	}
	P, _ := s.PredictProba(mat.NewDense(3, 2, []float64{0.5, 1, 4.5, 1, 0.5, nan()}))
	for i := 0; i < 3; i++ {
		fmt.Printf("P(1) = %.2f\n", P.At(i, 1))
	}
	root := m.Ensemble().Trees[0].Nodes[0]
	fmt.Printf("first tree's root: x%d <= %v\n", root.Feature, root.Threshold)
	// Output:
	// P(1) = 0.00
	// P(1) = 1.00
	// P(1) = 1.00
	// first tree's root: x0 <= 2.5
}

func nan() float64 { var z float64; return z / z }
