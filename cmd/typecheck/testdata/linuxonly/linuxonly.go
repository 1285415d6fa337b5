// Package linuxonly builds for Linux only: SysProcAttr.Pdeathsig exists there alone.
package linuxonly

import "syscall"

var Attr = syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
