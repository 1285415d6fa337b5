package main

import "testing"

// TestRefusesWhatDoesNotBuild: a package that builds for Linux only passes for linux and is refused
// for darwin, as `go build` would refuse it.
func TestRefusesWhatDoesNotBuild(t *testing.T) {
	const pkg = "./testdata/linuxonly"
	if code := run("linux", "amd64", "", []string{pkg}); code != 0 {
		t.Errorf("linux/amd64: exit %d, want 0", code)
	}
	for _, arch := range []string{"arm64", "amd64"} {
		if code := run("darwin", arch, "", []string{pkg}); code != 1 {
			t.Errorf("darwin/%s: exit %d, want 1 (onLinux is declared for Linux only)", arch, code)
		}
	}
}
