package metrics

// sum adds xs in the order numpy's pairwise summation (np.add.reduce on a
// contiguous float64 array) does, so means and integrals match sklearn's to
// the last bit: blocks of up to 128 values are summed with eight running
// accumulators; longer runs are split in two halves, the first a multiple
// of eight long.
func sum(xs []float64) float64 {
	return 0 + pairwise(xs)
}

func pairwise(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		s := 0.0
		for _, v := range a {
			s += v
		}
		return s
	case n <= 128:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			r[0] += a[i]
			r[1] += a[i+1]
			r[2] += a[i+2]
			r[3] += a[i+3]
			r[4] += a[i+4]
			r[5] += a[i+5]
			r[6] += a[i+6]
			r[7] += a[i+7]
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += a[i]
		}
		return s
	default:
		h := n / 2
		h -= h % 8
		return pairwise(a[:h]) + pairwise(a[h:])
	}
}

// mean is np.mean: the pairwise sum divided by the count; NaN when empty.
func mean(xs []float64) float64 {
	return sum(xs) / float64(len(xs))
}
