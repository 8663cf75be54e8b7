//go:build !unix

package explain

func cpuSeconds() float64 { return 0 }
