// Added by orivon at build time (examples/bitcoin/btcd): WASI has no
// signals, so a stop request reaches btcd through orivon:lifecycle, and
// turns into btcd's own shutdown request (the path SIGINT takes): the UTXO
// cache is flushed and the databases closed before _start returns.

//go:build wasip1

package main

import "time"

//go:wasmimport orivon:lifecycle stop_requested
func orivonStopRequested() int32

func init() {
	go func() {
		for orivonStopRequested() == 0 {
			time.Sleep(100 * time.Millisecond)
		}
		shutdownRequestChannel <- struct{}{}
	}()
}
