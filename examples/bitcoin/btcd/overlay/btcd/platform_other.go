// Added by orivon at build time (examples/bitcoin/btcd): outside wasip1
// btcd keeps its own behaviour: the system's dialer and listener, a fresh
// regression-test chain at each start, and no events.

//go:build !wasip1

package main

import (
	"net"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/mempool"
)

const keepRegressionDB = false

var platformDial = net.DialTimeout

var platformListen = net.Listen

func platformWatchChain(*blockchain.BlockChain) {}

func platformTxsAccepted([]*mempool.TxDesc) {}
