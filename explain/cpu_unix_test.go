//go:build unix

package explain

import "syscall"

// cpuSeconds is the user + system CPU time this process has used, to
// report benchmark costs that do not depend on the machine's load.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
