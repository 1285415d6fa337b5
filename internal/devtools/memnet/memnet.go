// Package memnet is an in-memory network for tests: a net.Listener whose Dial hands the server the
// other end of a net.Pipe. Inside a testing/synctest bubble a goroutine waiting on a pipe waits
// durably (one waiting on a real socket never does), so the bubble's clock moves while clients and
// servers wait on each other, and the deadlines, timeouts and latencies of HTTP code under test
// become exact instead of racing the machine's load.
package memnet

import (
	"context"
	"net"
	"sync"
)

// Listener is the server's side of the network. Serve it (http.Server.Serve) and dial it
// (http.Transport.DialContext = l.Dial).
type Listener struct {
	conns     chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

// Listen returns a Listener. Create it inside the bubble whose clock its connections should use.
func Listen() *Listener {
	return &Listener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept waits for the next Dial.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close makes Accept and Dial fail; connections already made stay open.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return nil
}

// Addr is a loopback address, so that code which checks where it listens accepts it.
func (l *Listener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// Dial connects to the listener, whatever the network and address: it has the signature of
// net.Dialer.DialContext so that it can stand in for it.
func (l *Listener) Dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
