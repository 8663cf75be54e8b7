package floatsort

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// same reports whether a and b hold the same bits in the same order.
func same(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

// reference sorts as Sort promises: increasing, -0 before +0.
func reference(x []float64) []float64 {
	r := slices.Clone(x)
	slices.SortFunc(r, func(a, b float64) int {
		if a == 0 && b == 0 {
			switch {
			case math.Signbit(a) && !math.Signbit(b):
				return -1
			case !math.Signbit(a) && math.Signbit(b):
				return 1
			}
			return 0
		}
		if a < b {
			return -1
		}
		if a > b {
			return 1
		}
		return 0
	})
	return r
}

func TestSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gens := map[string]func() float64{
		"normal":   func() float64 { return rng.NormFloat64() * 1000 },
		"integers": func() float64 { return float64(rng.IntN(20) - 10) },
		"positive": func() float64 { return rng.Float64() },
		"wide":     func() float64 { return math.Ldexp(rng.Float64()-0.5, rng.IntN(2000)-1000) },
		"specials": func() float64 {
			return []float64{math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), math.SmallestNonzeroFloat64, -math.MaxFloat64, 1}[rng.IntN(7)]
		},
		"one value": func() float64 { return 3.25 },
	}
	var buf []float64
	for name, gen := range gens {
		for _, n := range []int{0, 1, 7, small - 1, small, small + 1, 100_000} {
			x := make([]float64, n)
			for i := range x {
				x[i] = gen()
			}
			want := reference(x)
			buf = Sort(x, buf)
			if !same(x, want) {
				t.Fatalf("%s, %d values: not sorted as the reference", name, n)
			}
		}
	}
}

// stableOrder is the reference for Order: the indices of x sorted by a
// stable comparison sort on <.
func stableOrder(x []float64) []int {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case x[a] < x[b]:
			return -1
		case x[a] > x[b]:
			return 1
		}
		return 0
	})
	return idx
}

// TestOrder checks Order against a stable comparison sort of the indices:
// the same permutation, ties (-0 and +0 among them) in index order.
func TestOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	gens := map[string]func() float64{
		"normal":   func() float64 { return rng.NormFloat64() * 1000 },
		"integers": func() float64 { return float64(rng.IntN(20) - 10) },
		"rounded":  func() float64 { return math.Round(rng.Float64()*1000) / 1000 },
		"specials": func() float64 {
			return []float64{math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), math.SmallestNonzeroFloat64, -math.MaxFloat64, 1}[rng.IntN(7)]
		},
		"one value": func() float64 { return 3.25 },
		"with NaN": func() float64 {
			if rng.IntN(50) == 0 {
				return math.NaN()
			}
			return float64(rng.IntN(100))
		},
	}
	for name, gen := range gens {
		for _, n := range []int{0, 1, 7, small - 1, small, small + 1, 100_000} {
			x := make([]float64, n)
			for i := range x {
				x[i] = gen()
			}
			if got, want := Order(x), stableOrder(x); !slices.Equal(got, want) {
				t.Fatalf("%s, %d values: Order differs from a stable sort of the indices", name, n)
			}
		}
	}
}

func BenchmarkOrder(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 50_000)
	for i := range x {
		x[i] = math.Round(rng.Float64()*1e4) / 1e4
	}
	b.Run("radix", func(b *testing.B) {
		for b.Loop() {
			Order(x)
		}
	})
	b.Run("stable", func(b *testing.B) {
		for b.Loop() {
			stableOrder(x)
		}
	})
}

func BenchmarkSort(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 1_000_000)
	for i := range x {
		x[i] = math.Round(rng.NormFloat64()*1e6) / 1e4
	}
	y := make([]float64, len(x))
	b.Run("radix", func(b *testing.B) {
		var buf []float64
		for b.Loop() {
			copy(y, x)
			buf = Sort(y, buf)
		}
	})
	b.Run("slices.Sort", func(b *testing.B) {
		for b.Loop() {
			copy(y, x)
			slices.Sort(y)
		}
	})
}
