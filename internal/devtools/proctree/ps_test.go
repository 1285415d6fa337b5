package proctree

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/stepgate/stepgate/internal/devtools/testenv"
)

// The macOS fallback, on output captured from `ps -A -o pid=,ppid=,rss=,comm=` there (comm is the
// full path of the executable on macOS, and may hold spaces).
func TestReadPS(t *testing.T) {
	out := []byte(`    1     0  12345 /sbin/launchd
  500     1  40000 /Users/me/stepgate/build/darwin-arm64/bin/stepgate-local
  501   500  15000 /Users/me/stepgate/build/darwin-arm64/bin/start
  502   500  14000 /Users/me/My Projects/ec2toggle
  503   501    100 /bin/sh
  600     1   9999 /usr/bin/unrelated
`)
	tree, err := ReadPS(out, 500)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range tree.Processes {
		got = append(got, p.Comm)
	}
	want := []string{"stepgate-local", "start", "ec2toggle", "sh"}
	if len(got) != len(want) {
		t.Fatalf("processes %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("processes %v, want %v", got, want)
		}
	}
	if total := tree.TotalRSS(); total != (40000+15000+14000+100)*1024 {
		t.Fatalf("total RSS %d", total)
	}
	if _, err := ReadPS(out, 42); err == nil {
		t.Fatal("a missing process read without an error")
	}
	if _, err := ReadPS([]byte("12 x 3 foo\n"), 12); err == nil {
		t.Fatal("a malformed line read without an error")
	}
}

// The fallback agrees with /proc about this test process, where both exist.
func TestReadPSAgreesWithProc(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("SKIPPED: no /proc to compare with")
	}
	ps := testenv.MustHaveExecPath(t, testenv.PS)
	out, err := exec.Command(ps, "-A", "-o", "pid=,ppid=,rss=,comm=").Output()
	if err != nil {
		testenv.Unavailable(t, fmt.Sprintf("%s -A -o pid=,ppid=,rss=,comm= failed (%v)", ps, err), testenv.PS.Install)
	}
	tree, err := ReadPS(out, os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if tree.Root().PID != os.Getpid() || tree.Root().RSS <= 0 {
		t.Fatalf("root %+v", tree.Root())
	}
}
