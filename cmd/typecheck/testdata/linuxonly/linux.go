//go:build linux

package linuxonly

// onLinux exists only when the package is built for Linux.
const onLinux = true
