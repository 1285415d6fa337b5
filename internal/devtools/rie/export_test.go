package rie

// HandOutFirst makes the next address Start finds free be addr, as when another process takes a
// port between the moment it is found free and the moment the emulator binds it.
func HandOutFirst(addr string) (restore func()) {
	orig, first := freeAddr, true
	freeAddr = func() (string, error) {
		if first {
			first = false
			return addr, nil
		}
		return orig()
	}
	return func() { freeAddr = orig }
}
