// Added by orivon at build time (examples/bitcoin/btcd): under orivon the
// regression-test chain is the node's real chain, kept across restarts.

//go:build wasip1

package main

const keepRegressionDB = true
