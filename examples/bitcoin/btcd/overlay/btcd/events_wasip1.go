// Added by orivon at build time (examples/bitcoin/btcd): the node's chain
// and mempool as events on orivon's bus (orivon:events publish, for core
// modules), checked against the module's topic: grants like any publish:
//   bitcoin.block.connected  {"height":N,"hash":"...","txs":N}
//   bitcoin.tx.accepted      {"txid":"..."}
// A publish orivon refuses (no grant) is dropped; the node carries on.

//go:build wasip1

package main

import (
	"fmt"
	"unsafe"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil/v2"
	"github.com/btcsuite/btcd/mempool"
)

//go:wasmimport orivon:events publish
func orivonPublish(topic unsafe.Pointer, topicLength uint32, data unsafe.Pointer, dataLength uint32) int32

func publish(topic, data string) {
	orivonPublish(unsafe.Pointer(unsafe.StringData(topic)), uint32(len(topic)),
		unsafe.Pointer(unsafe.StringData(data)), uint32(len(data)))
}

// platformWatchChain is called by newServer once the chain exists.
func platformWatchChain(chain *blockchain.BlockChain) {
	chain.Subscribe(func(n *blockchain.Notification) {
		if n.Type != blockchain.NTBlockConnected {
			return
		}
		block, ok := n.Data.(*btcutil.Block)
		if !ok {
			return
		}
		publish("bitcoin.block.connected", fmt.Sprintf(`{"height":%d,"hash":"%s","txs":%d}`,
			block.Height(), block.Hash(), len(block.Transactions())))
	})
}

// platformTxsAccepted is called for transactions newly in the mempool.
func platformTxsAccepted(txns []*mempool.TxDesc) {
	for _, txn := range txns {
		publish("bitcoin.tx.accepted", fmt.Sprintf(`{"txid":"%s"}`, txn.Tx.Hash()))
	}
}
