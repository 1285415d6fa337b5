package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// errNotLoopback refuses a target off this machine: loadgen exists to load the offline stack, and a
// bounded tool that can be pointed anywhere is still a tool for flooding someone else's service.
var errNotLoopback = errors.New("loadgen only targets loopback (127.0.0.0/8, ::1 or localhost)")

// checkTarget parses rawURL and accepts it only when it names an http(s) service on loopback.
func checkTarget(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parse -url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("-url %q: scheme must be http or https", rawURL)
	}
	if !loopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("-url host %q: %w", u.Hostname(), errNotLoopback)
	}
	return u, nil
}

// loopbackHost accepts a literal loopback address or the name localhost.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	// A zone (fe80::1%eth0) is never loopback; Unmap lets ::ffff:127.0.0.1 count as 127.0.0.1.
	return err == nil && addr.Zone() == "" && addr.Unmap().IsLoopback()
}

// dialLoopback refuses, at connect time, any address that is not loopback. checkTarget has vetted
// the URL's host, but "localhost" is resolved by the system and a misconfigured resolver could map it
// elsewhere; proxies and redirects are switched off separately.
func dialLoopback(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !addr.Unmap().IsLoopback() {
		return fmt.Errorf("dial %s %s: %w", network, address, errNotLoopback)
	}
	return nil
}

// dialer is the one dialer of loadgen's transport.
func dialer() func(ctx context.Context, network, address string) (net.Conn, error) {
	d := &net.Dialer{Control: dialLoopback}
	return d.DialContext
}
