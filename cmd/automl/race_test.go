//go:build race

package main

// raceEnabled: the race detector slows every step and keeps shadow memory,
// so the timing and RSS bounds measured for users get a race-build margin.
const raceEnabled = true
