// Command txgen makes the regtest traffic orivon's Bitcoin node test needs,
// talking JSON-RPC to a btcd:
//
//	txgen address [-witness]       the P2PKH address of txgen's key (the peer's --miningaddr),
//	                               or with -witness its P2WPKH address
//	txgen balance -address A       the satoshis the outputs paying A that nothing spends hold
//	                               on the server's best chain (immature coinbases included),
//	                               counted block by block from genesis: what an address
//	                               index answer must equal
//	txgen grow -height H -txs N    mines to height H on the peer, spending its coinbases
//	                               into P2PKH and P2WPKH outputs and chains of spends
//	                               until at least N transactions are mined; prints the
//	                               outputs left unspent, one "txid vout" a line
//	txgen spend                    signs (and does not send) a spend of the coinbase 100 blocks
//	                               below the server's tip; prints its txid and its hex
//	txgen tamper                   builds a block on the server's tip whose one spend has a
//	                               flipped signature byte (merkle root and proof of work
//	                               valid), submits it, prints the answer; exits 0 only
//	                               when the server rejected it
//
// The key is fixed and public: it holds only regtest coins.
package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/rpcclient"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

var params = &chaincfg.RegressionNetParams

const (
	fee = 10_000 // satoshis per transaction: far above regtest's relay minimum
	// Segwit is voted in on regtest by BIP 9: started after the first
	// 144-block window, locked in after the second, active from height 432.
	// Witness spends wait until a few blocks past it.
	witnessSpendHeight = 440
)

// wallet is txgen's one key and the two output scripts it pays to.
type wallet struct {
	key      *btcec.PrivateKey
	p2pkh    []byte
	p2wpkh   []byte
	p2pkhTag string
	p2wTag   string
}

func newWallet() (*wallet, error) {
	seed := sha256.Sum256([]byte("orivon regtest txgen key"))
	key, pub := btcec.PrivKeyFromBytes(seed[:])
	hash := address.Hash160(pub.SerializeCompressed())
	pkh, err := address.NewAddressPubKeyHash(hash, params)
	if err != nil {
		return nil, err
	}
	wpkh, err := address.NewAddressWitnessPubKeyHash(hash, params)
	if err != nil {
		return nil, err
	}
	w := &wallet{key: key, p2pkhTag: pkh.EncodeAddress(), p2wTag: wpkh.EncodeAddress()}
	if w.p2pkh, err = txscript.PayToAddrScript(pkh); err != nil {
		return nil, err
	}
	if w.p2wpkh, err = txscript.PayToAddrScript(wpkh); err != nil {
		return nil, err
	}
	return w, nil
}

// coin is an output txgen can spend.
type coin struct {
	outpoint wire.OutPoint
	output   *wire.TxOut
}

// sign signs every input of tx, each spending the coin at the same index.
func (w *wallet) sign(tx *wire.MsgTx, coins []coin) error {
	prevouts := make(map[wire.OutPoint]*wire.TxOut, len(coins))
	for _, c := range coins {
		prevouts[c.outpoint] = c.output
	}
	hashes := txscript.NewTxSigHashes(tx, txscript.NewMultiPrevOutFetcher(prevouts))
	for i, c := range coins {
		switch {
		case string(c.output.PkScript) == string(w.p2pkh):
			script, err := txscript.SignatureScript(tx, i, w.p2pkh, txscript.SigHashAll, w.key, true)
			if err != nil {
				return err
			}
			tx.TxIn[i].SignatureScript = script
		case string(c.output.PkScript) == string(w.p2wpkh):
			witness, err := txscript.WitnessSignature(tx, hashes, i, c.output.Value, w.p2wpkh,
				txscript.SigHashAll, w.key, true)
			if err != nil {
				return err
			}
			tx.TxIn[i].Witness = witness
		default:
			return fmt.Errorf("output %v is not txgen's", c.outpoint)
		}
	}
	return nil
}

// spend makes a transaction spending coins into one P2PKH and one P2WPKH
// output of (nearly) equal value.
func (w *wallet) spend(coins []coin) (*wire.MsgTx, error) {
	tx := wire.NewMsgTx(2)
	var total int64
	for _, c := range coins {
		tx.AddTxIn(wire.NewTxIn(&c.outpoint, nil, nil))
		total += c.output.Value
	}
	half := (total - fee) / 2
	tx.AddTxOut(wire.NewTxOut(half, w.p2pkh))
	tx.AddTxOut(wire.NewTxOut(total-fee-half, w.p2wpkh))
	return tx, w.sign(tx, coins)
}

func connect(server, user, pass string) (*rpcclient.Client, error) {
	return rpcclient.New(&rpcclient.ConnConfig{Host: server, User: user, Pass: pass,
		HTTPPostMode: true, DisableTLS: true}, nil)
}

func coinbaseAt(client *rpcclient.Client, height int64) (coin, error) {
	hash, err := client.GetBlockHash(height)
	if err != nil {
		return coin{}, err
	}
	block, err := client.GetBlock(hash)
	if err != nil {
		return coin{}, err
	}
	coinbase := block.Transactions[0]
	return coin{wire.OutPoint{Hash: coinbase.TxHash(), Index: 0}, coinbase.TxOut[0]}, nil
}

// grow mines on the server until it reaches height and at least txs
// transactions (besides coinbases) are mined. Each round spends a batch of
// mature coinbases, each into a chain of spends within the round's first
// block, then mines a stretch of blocks.
func grow(client *rpcclient.Client, w *wallet, height int64, txs int) error {
	const batch, chain, stretch = 10, 5, 40
	_, tip, err := client.GetBestBlock()
	if err != nil {
		return err
	}
	current := int64(tip)
	nextCoinbase := int64(1)
	made := 0
	for current < height || made < txs {
		for i := 0; i < batch && made < txs &&
			current+1-nextCoinbase >= int64(params.CoinbaseMaturity); i++ {
			cb, err := coinbaseAt(client, nextCoinbase)
			if err != nil {
				return err
			}
			nextCoinbase++
			coins := []coin{cb}
			for link := 0; link < chain; link++ {
				tx, err := w.spend(coins)
				if err != nil {
					return err
				}
				if _, err := client.SendRawTransaction(tx, true); err != nil {
					return fmt.Errorf("sendrawtransaction at height %d: %w", current, err)
				}
				made++
				hash := tx.TxHash()
				coins = []coin{{wire.OutPoint{Hash: hash, Index: 0}, tx.TxOut[0]}}
				if current+1 >= witnessSpendHeight {
					coins = append(coins, coin{wire.OutPoint{Hash: hash, Index: 1}, tx.TxOut[1]})
				} else {
					fmt.Printf("%s 1\n", hash)
				}
			}
			for _, c := range coins {
				fmt.Printf("%s %d\n", c.outpoint.Hash, c.outpoint.Index)
			}
		}
		blocks := int64(stretch)
		if current < height && height-current < blocks {
			blocks = height - current
		}
		if _, err := client.Generate(uint32(blocks)); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
		current += blocks
	}
	fmt.Fprintf(os.Stderr, "txgen: height %d, %d transactions\n", current, made)
	return nil
}

// spendable signs a spend of the coinbase 100 blocks below the tip (mature,
// and older than any grow leaves unspent near the tip): txid, then hex.
func spendable(client *rpcclient.Client, w *wallet) (string, error) {
	_, tip, err := client.GetBestBlock()
	if err != nil {
		return "", err
	}
	if int64(tip) < int64(params.CoinbaseMaturity)+1 {
		return "", fmt.Errorf("no mature coinbase below height %d", tip)
	}
	cb, err := coinbaseAt(client, int64(tip)-int64(params.CoinbaseMaturity))
	if err != nil {
		return "", err
	}
	tx, err := w.spend([]coin{cb})
	if err != nil {
		return "", err
	}
	var raw bytes.Buffer
	if err := tx.Serialize(&raw); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s %x", tx.TxHash(), raw.Bytes()), nil
}

// balance walks the server's best chain from genesis and sums the outputs
// paying tag that no later transaction in it spends.
func balance(client *rpcclient.Client, tag string) (int64, error) {
	decoded, err := address.DecodeAddress(tag, params)
	if err != nil {
		return 0, err
	}
	script, err := txscript.PayToAddrScript(decoded)
	if err != nil {
		return 0, err
	}
	_, tip, err := client.GetBestBlock()
	if err != nil {
		return 0, err
	}
	unspent := map[wire.OutPoint]int64{}
	for height := int64(0); height <= int64(tip); height++ {
		hash, err := client.GetBlockHash(height)
		if err != nil {
			return 0, err
		}
		block, err := client.GetBlock(hash)
		if err != nil {
			return 0, err
		}
		for _, tx := range block.Transactions {
			for _, in := range tx.TxIn {
				delete(unspent, in.PreviousOutPoint)
			}
			txid := tx.TxHash()
			for n, out := range tx.TxOut {
				if bytes.Equal(out.PkScript, script) {
					unspent[wire.OutPoint{Hash: txid, Index: uint32(n)}] = out.Value
				}
			}
		}
	}
	var sum int64
	for _, value := range unspent {
		sum += value
	}
	return sum, nil
}

// tamper builds a block on the server's tip that spends the newest mature
// coinbase with a signature one byte off, everything else valid, and
// submits it. It returns the server's answer.
func tamper(client *rpcclient.Client, w *wallet) (string, error) {
	tipHash, tip, err := client.GetBestBlock()
	if err != nil {
		return "", err
	}
	tipHeader, err := client.GetBlockHeader(tipHash)
	if err != nil {
		return "", err
	}
	height := int64(tip) + 1
	cb, err := coinbaseAt(client, height-int64(params.CoinbaseMaturity))
	if err != nil {
		return "", err
	}
	spend, err := w.spend([]coin{cb})
	if err != nil {
		return "", err
	}
	// The signature sits after the script's first push opcode: DER
	// 0x30 len 0x02 len R...; flip a byte well inside R so it still parses.
	spend.TxIn[0].SignatureScript[1+10] ^= 0x01

	heightScript, err := txscript.NewScriptBuilder().AddInt64(height).AddInt64(0x0ddba11).Script()
	if err != nil {
		return "", err
	}
	coinbase := wire.NewMsgTx(1)
	coinbase.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&chainhash.Hash{}, wire.MaxPrevOutIndex),
		heightScript, nil))
	coinbase.AddTxOut(wire.NewTxOut(blockchain.CalcBlockSubsidy(int32(height), params)+fee, w.p2pkh))

	block := wire.NewMsgBlock(&wire.BlockHeader{
		Version:   0x20000000,
		PrevBlock: *tipHash,
		Timestamp: time.Unix(max(time.Now().Unix(), tipHeader.Timestamp.Unix()+1), 0),
		Bits:      tipHeader.Bits,
	})
	block.AddTransaction(coinbase)
	block.AddTransaction(spend)
	// No input has a witness, so the block needs no witness commitment.
	utilTxs := []*btcutil.Tx{btcutil.NewTx(coinbase), btcutil.NewTx(spend)}
	block.Header.MerkleRoot = blockchain.CalcMerkleRoot(utilTxs, false)
	target := blockchain.CompactToBig(block.Header.Bits)
	for {
		hash := block.Header.BlockHash()
		if blockchain.HashToBig(&hash).Cmp(target) <= 0 {
			break
		}
		if block.Header.Nonce == ^uint32(0) {
			return "", errors.New("no nonce meets the target")
		}
		block.Header.Nonce++
	}
	err = client.SubmitBlock(btcutil.NewBlock(block), nil)
	if err == nil {
		return "", fmt.Errorf("block %s was accepted", block.Header.BlockHash())
	}
	return err.Error(), nil
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: txgen address [-witness] | grow [flags] | tamper [flags] | spend [flags] | balance -address A")
		os.Exit(2)
	}
	flags := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	server := flags.String("rpcserver", "127.0.0.1:18334", "btcd JSON-RPC host:port")
	user := flags.String("rpcuser", "orivon", "RPC user")
	pass := flags.String("rpcpass", "orivon", "RPC password")
	height := flags.Int64("height", 1000, "grow: the height to mine to")
	txs := flags.Int("txs", 1000, "grow: the transactions to mine at least")
	witness := flags.Bool("witness", false, "address: the P2WPKH address instead")
	tag := flags.String("address", "", "balance: the address")
	_ = flags.Parse(os.Args[2:])

	w, err := newWallet()
	if err == nil && os.Args[1] == "address" {
		if *witness {
			fmt.Println(w.p2wTag)
		} else {
			fmt.Println(w.p2pkhTag)
		}
		return
	}
	var client *rpcclient.Client
	if err == nil {
		client, err = connect(*server, *user, *pass)
	}
	if err == nil {
		defer client.Shutdown()
		switch os.Args[1] {
		case "grow":
			err = grow(client, w, *height, *txs)
		case "balance":
			var sum int64
			if sum, err = balance(client, *tag); err == nil {
				fmt.Println(sum)
			}
		case "spend":
			var line string
			if line, err = spendable(client, w); err == nil {
				fmt.Println(line)
			}
		case "tamper":
			var answer string
			if answer, err = tamper(client, w); err == nil {
				fmt.Println(answer)
			}
		default:
			err = fmt.Errorf("unknown command %q", os.Args[1])
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "txgen:", err)
		os.Exit(1)
	}
}
