// Added by orivon at build time (examples/bitcoin/btcd): TCP for
// GOOS=wasip1, which has no sockets of its own, through orivon's host
// functions for core modules (orivon:net, src/engine/core_host.h): dialing
// peers, and the listener of btcd's JSON-RPC server. orivon checks every
// connect against the module's net:connect grants, and every listen
// against its net:listen grants, before anything reaches the network.
//
// Sockets are non-blocking on the host. Go's wasip1 runtime runs every
// goroutine on one thread, so a read that would block must not wait inside
// the host: it polls without waiting and sleeps a little (1 to 8 ms, longer
// while idle), which lets the other goroutines run.

//go:build wasip1

package main

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"
	"unsafe"
)

//go:wasmimport orivon:net connect
func orivonConnect(address unsafe.Pointer, length uint32) int32

//go:wasmimport orivon:net listen
func orivonListen(address unsafe.Pointer, length uint32) int32

//go:wasmimport orivon:net accept
func orivonAccept(listener int32) int32

//go:wasmimport orivon:net send
func orivonSend(handle int32, bytes unsafe.Pointer, length uint32) int32

//go:wasmimport orivon:net recv
func orivonRecv(handle int32, buffer unsafe.Pointer, length uint32) int32

//go:wasmimport orivon:net close
func orivonClose(handle int32) int32

//go:wasmimport orivon:net local_port
func orivonLocalPort(handle int32) int32

//go:wasmimport orivon:net poll
func orivonPoll(entries unsafe.Pointer, count uint32, timeoutMs int32) int32

const (
	errAgain    = 6
	pollRead    = 1
	pollWrite   = 2
	pollError   = 4
	maxIdleWait = 8 * time.Millisecond
)

type pollEntry struct {
	handle   int32
	interest uint16
	ready    uint16
}

// ready polls one handle without waiting: its ready bits.
func ready(handle int32, interest uint16) uint16 {
	entry := pollEntry{handle: handle, interest: interest}
	if orivonPoll(unsafe.Pointer(&entry), 1, 0) < 0 {
		return pollError
	}
	return entry.ready
}

// pause lets the other goroutines run, waiting longer each time nothing
// happened.
func pause(wait *time.Duration) {
	time.Sleep(*wait)
	if *wait < maxIdleWait {
		*wait *= 2
	}
}

type orivonConn struct {
	handle        int32
	closed        bool
	local, remote *net.TCPAddr
	readDeadline  time.Time
	writeDeadline time.Time
}

func opError(op string, conn *orivonConn, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: conn.local, Addr: conn.remote, Err: err}
}

func pastDeadline(deadline time.Time) bool {
	return !deadline.IsZero() && !time.Now().Before(deadline)
}

func (c *orivonConn) Read(b []byte) (int, error) {
	wait := time.Millisecond
	for {
		if c.closed {
			return 0, opError("read", c, net.ErrClosed)
		}
		if pastDeadline(c.readDeadline) {
			return 0, opError("read", c, os.ErrDeadlineExceeded)
		}
		if len(b) == 0 {
			return 0, nil
		}
		n := orivonRecv(c.handle, unsafe.Pointer(&b[0]), uint32(len(b)))
		switch {
		case n > 0:
			return int(n), nil
		case n == 0:
			return 0, io.EOF
		case n != -errAgain:
			return 0, opError("read", c, syscall.Errno(-n))
		}
		if ready(c.handle, pollRead) == 0 {
			pause(&wait)
		}
	}
}

func (c *orivonConn) Write(b []byte) (int, error) {
	written := 0
	wait := time.Millisecond
	for written < len(b) {
		if c.closed {
			return written, opError("write", c, net.ErrClosed)
		}
		if pastDeadline(c.writeDeadline) {
			return written, opError("write", c, os.ErrDeadlineExceeded)
		}
		n := orivonSend(c.handle, unsafe.Pointer(&b[written]), uint32(len(b)-written))
		if n >= 0 {
			written += int(n)
			wait = time.Millisecond
			continue
		}
		if n != -errAgain {
			return written, opError("write", c, syscall.Errno(-n))
		}
		if ready(c.handle, pollWrite) == 0 {
			pause(&wait)
		}
	}
	return written, nil
}

func (c *orivonConn) Close() error {
	if c.closed {
		return opError("close", c, net.ErrClosed)
	}
	c.closed = true
	orivonClose(c.handle)
	return nil
}

func (c *orivonConn) LocalAddr() net.Addr  { return c.local }
func (c *orivonConn) RemoteAddr() net.Addr { return c.remote }

func (c *orivonConn) SetDeadline(t time.Time) error {
	c.readDeadline, c.writeDeadline = t, t
	return nil
}
func (c *orivonConn) SetReadDeadline(t time.Time) error  { c.readDeadline = t; return nil }
func (c *orivonConn) SetWriteDeadline(t time.Time) error { c.writeDeadline = t; return nil }

// platformDial is btcd's dial function under wasip1 (config.go).
func platformDial(network, address string, timeout time.Duration) (net.Conn, error) {
	if network != "tcp" && network != "tcp4" && network != "tcp6" {
		return nil, errors.New("orivon:net dials TCP only, not " + network)
	}
	remote, err := net.ResolveTCPAddr("tcp", address)
	if err != nil {
		return nil, err
	}
	handle := orivonConnect(unsafe.Pointer(unsafe.StringData(address)), uint32(len(address)))
	conn := &orivonConn{handle: handle, remote: remote}
	if handle < 0 {
		return nil, opError("dial", conn, syscall.Errno(-handle))
	}
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	wait := time.Millisecond
	for {
		// A zero-length send says how the connect went: 0 once connected,
		// -EAGAIN while it is in flight, or the error it failed with.
		n := orivonSend(handle, nil, 0)
		if n == 0 {
			break
		}
		if n != -errAgain {
			orivonClose(handle)
			return nil, opError("dial", conn, syscall.Errno(-n))
		}
		if pastDeadline(deadline) {
			orivonClose(handle)
			return nil, opError("dial", conn, os.ErrDeadlineExceeded)
		}
		if ready(handle, pollWrite) == 0 {
			pause(&wait)
		}
	}
	conn.local = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(orivonLocalPort(handle))}
	return conn, nil
}

type orivonListener struct {
	handle int32
	closed bool
	addr   *net.TCPAddr
}

func (l *orivonListener) Accept() (net.Conn, error) {
	wait := time.Millisecond
	for {
		if l.closed {
			return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.addr, Err: net.ErrClosed}
		}
		handle := orivonAccept(l.handle)
		if handle >= 0 {
			local := &net.TCPAddr{IP: l.addr.IP, Port: l.addr.Port}
			// The host does not say who connected: a granted listener
			// accepts any client.
			remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}
			return &orivonConn{handle: handle, local: local, remote: remote}, nil
		}
		if handle != -errAgain {
			return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.addr, Err: syscall.Errno(-handle)}
		}
		if ready(l.handle, pollRead) == 0 {
			pause(&wait)
		}
	}
}

func (l *orivonListener) Close() error {
	if !l.closed {
		l.closed = true
		orivonClose(l.handle)
	}
	return nil
}

func (l *orivonListener) Addr() net.Addr { return l.addr }

// platformListen is btcd's listen function for its RPC server under wasip1
// (server.go).
func platformListen(network, address string) (net.Listener, error) {
	if network != "tcp" && network != "tcp4" && network != "tcp6" {
		return nil, errors.New("orivon:net listens on TCP only, not " + network)
	}
	addr, err := net.ResolveTCPAddr("tcp", address)
	if err != nil {
		return nil, err
	}
	handle := orivonListen(unsafe.Pointer(unsafe.StringData(address)), uint32(len(address)))
	if handle < 0 {
		return nil, &net.OpError{Op: "listen", Net: "tcp", Addr: addr, Err: syscall.Errno(-handle)}
	}
	return &orivonListener{handle: handle, addr: addr}, nil
}
