// Package linuxonly builds for Linux only: it uses a constant that only linux.go declares. (No
// imports, so that checking it type-checks nothing else.)
package linuxonly

var Enabled = onLinux
