// Added by orivon at build time (examples/bitcoin/btcd): a WebAssembly
// module has no process resource limits to raise; orivon sets its memory
// limit from outside.

//go:build wasip1

package limits

// SetLimits does nothing under wasip1.
func SetLimits() error { return nil }
