package knn

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/goautoml/automl/models"
)

// bruteKNN is the plain definition: every distance, sorted by (distance, row).
func bruteKNN(Xtr *mat.Dense, y []int, w []float64, q []float64, k, classes int, dist bool) []float64 {
	n, _ := Xtr.Dims()
	type nb struct {
		d2  float64
		row int
	}
	all := make([]nb, 0, n)
	for i := 0; i < n; i++ {
		if w[i] == 0 {
			continue
		}
		s := 0.0
		for j, v := range Xtr.RawRowView(i) {
			s += (q[j] - v) * (q[j] - v)
		}
		all = append(all, nb{s, i})
	}
	sort.Slice(all, func(a, b int) bool {
		return all[a].d2 < all[b].d2 || all[a].d2 == all[b].d2 && all[a].row < all[b].row
	})
	all = all[:min(k, len(all))]
	p := make([]float64, classes)
	exact := false
	for _, v := range all {
		exact = exact || v.d2 == 0
	}
	tot := 0.0
	for _, v := range all {
		wt := w[v.row]
		if dist {
			if exact {
				if v.d2 != 0 {
					wt = 0
				}
			} else {
				wt /= math.Sqrt(v.d2)
			}
		}
		p[y[v.row]] += wt
		tot += wt
	}
	for c := range p {
		p[c] /= tot
	}
	return p
}

func TestKNNAgainstBruteForce(t *testing.T) {
	// Small integer grids give many exact ties and exact matches; large
	// offsets stress the rounding bound of the matrix-product screen.
	r := rand.New(rand.NewPCG(5, 5))
	for _, tc := range []struct {
		name   string
		offset float64
		scale  float64
	}{{"grid", 0, 1}, {"offset", 1e4, 1}, {"tiny", 0, 1e-6}} {
		n, q, d, classes := 400, 150, 3, 3
		Xtr := mat.NewDense(n, d, nil)
		Xq := mat.NewDense(q, d, nil)
		y := make([]int, n)
		w := make([]float64, n)
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				Xtr.Set(i, j, tc.offset+tc.scale*float64(r.IntN(5)))
			}
			y[i] = r.IntN(classes)
			w[i] = float64(r.IntN(4)) * 0.5
		}
		for i := 0; i < q; i++ {
			for j := 0; j < d; j++ {
				Xq.Set(i, j, tc.offset+tc.scale*(float64(r.IntN(10))/2))
			}
		}
		for _, k := range []int{1, 5, 40} {
			for _, wts := range []string{"uniform", "distance"} {
				var prev *mat.Dense
				for _, workers := range []int{1, 3} {
					m := New(Params{K: k, Weights: wts, Metric: "euclidean"}, models.Setup{Classes: classes, Workers: workers})
					if err := m.Fit(context.Background(), Xtr, y, w); err != nil {
						t.Fatal(err)
					}
					P, err := m.PredictProba(Xq)
					if err != nil {
						t.Fatal(err)
					}
					for i := 0; i < q; i++ {
						want := bruteKNN(Xtr, y, w, Xq.RawRowView(i), k, classes, wts == "distance")
						for c, v := range want {
							if math.Abs(P.At(i, c)-v) > 1e-12 {
								t.Fatalf("%s k=%d %s row %d: got %v, want %v", tc.name, k, wts, i, P.RawRowView(i), want)
							}
						}
					}
					if prev != nil && !mat.Equal(prev, P) {
						t.Errorf("%s k=%d %s: 1 and 3 workers differ", tc.name, k, wts)
					}
					prev = P
				}
			}
		}
	}
}
