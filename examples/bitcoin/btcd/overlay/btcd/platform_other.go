// Added by orivon at build time (examples/bitcoin/btcd): outside wasip1
// btcd keeps its own behaviour: the system's dialer and listener, and a fresh
// regression-test chain at each start.

//go:build !wasip1

package main

import "net"

const keepRegressionDB = false

var platformDial = net.DialTimeout

var platformListen = net.Listen
