//go:build race

package pomerium

// raceEnabled: the race detector slows the sink about tenfold.
const raceEnabled = true
