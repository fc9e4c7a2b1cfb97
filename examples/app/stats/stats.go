// A small statistics service for orivon, written in Go: it counts samples and
// sums them. Built as a WASI preview1 reactor (GOOS=wasip1, -buildmode=c-shared),
// so the host runs _initialize once and then calls the exports below; the
// state lives in package variables for as long as the instance does.
//
// Only numbers cross the boundary, so every export is callable as is from
// `orivon call app.stats.go 'record(5)'`.
package main

var (
	sampleCount int64
	sampleTotal int64
)

// record adds one sample and returns the number of samples so far.
//
//go:wasmexport record
func record(value int32) int64 {
	sampleCount++
	sampleTotal += int64(value)
	return sampleCount
}

// count returns the number of samples recorded since the start or the last reset.
//
//go:wasmexport count
func count() int64 {
	return sampleCount
}

// total returns the sum of the samples recorded since the start or the last reset.
//
//go:wasmexport total
func total() int64 {
	return sampleTotal
}

// reset forgets every sample.
//
//go:wasmexport reset
func reset() {
	sampleCount = 0
	sampleTotal = 0
}

// main never runs: a c-shared build is a reactor, initialised through
// _initialize, but package main still needs one.
func main() {}
