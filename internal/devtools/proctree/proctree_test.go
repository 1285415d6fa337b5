package proctree

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"
)

func stat(pid, comm, ppid string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte(pid + " (" + comm + ") S " + ppid + " 10 10 0 -1 4194560 0 0 0 0\n")}
}

func status(rss string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte("Name:\tx\nState:\tS (sleeping)\n" + rss + "Threads:\t1\n")}
}

func TestReadFS(t *testing.T) {
	proc := fstest.MapFS{
		"1/stat":    stat("1", "init", "0"),
		"1/status":  status("VmRSS:\t    1000 kB\n"),
		"10/stat":   stat("10", "root", "1"),
		"10/status": status("VmRSS:\t     100 kB\n"),
		// comm with spaces and a ')' must not shift the fields after it.
		"12/stat":   stat("12", "a b) c", "10"),
		"12/status": status("VmRSS:\t       2 kB\n"),
		"11/stat":   stat("11", "child", "10"),
		"11/status": status("VmRSS:\t      10 kB\n"),
		"13/stat":   stat("13", "grandchild", "11"),
		// A zombie has no VmRSS line.
		"13/status": status(""),
		"20/stat":   stat("20", "unrelated", "1"),
		"20/status": status("VmRSS:\t    5000 kB\n"),
		// Exited between the listing and the read.
		"21/stat":    &fstest.MapFile{},
		"21/status":  &fstest.MapFile{},
		"self/stat":  stat("10", "root", "1"),
		"meminfo":    &fstest.MapFile{Data: []byte("MemTotal: 1 kB\n")},
		"30/task/30": &fstest.MapFile{Mode: 0o555},
	}
	tests := []struct {
		name      string
		pid       int
		wantPIDs  []int
		wantTotal int64
		wantComm  string
		wantErr   bool
	}{
		{name: "root, children by PID, then grandchildren", pid: 10, wantPIDs: []int{10, 11, 12, 13}, wantTotal: 112 * 1024, wantComm: "root"},
		{name: "a leaf is a tree of one", pid: 12, wantPIDs: []int{12}, wantTotal: 2 * 1024, wantComm: "a b) c"},
		{name: "zombie counts as zero", pid: 13, wantPIDs: []int{13}, wantTotal: 0, wantComm: "grandchild"},
		{name: "whole tree from init", pid: 1, wantPIDs: []int{1, 10, 20, 11, 12, 13}, wantTotal: 6112 * 1024, wantComm: "init"},
		{name: "unknown process", pid: 99, wantErr: true},
		{name: "exited root", pid: 21, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree, err := ReadFS(proc, tt.pid)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got %+v, want an error", tree)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var pids []int
			for _, p := range tree.Processes {
				pids = append(pids, p.PID)
			}
			if !slices.Equal(pids, tt.wantPIDs) {
				t.Errorf("PIDs %v, want %v", pids, tt.wantPIDs)
			}
			if got := tree.TotalRSS(); got != tt.wantTotal {
				t.Errorf("TotalRSS %d, want %d", got, tt.wantTotal)
			}
			if got := tree.Root().Comm; got != tt.wantComm {
				t.Errorf("root comm %q, want %q", got, tt.wantComm)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		stat   string
		status string
	}{
		{name: "stat without comm", stat: "10 S 1", status: "VmRSS:\t1 kB\n"},
		{name: "stat without ppid", stat: "10 (x) S", status: "VmRSS:\t1 kB\n"},
		{name: "stat with a bad ppid", stat: "10 (x) S one", status: "VmRSS:\t1 kB\n"},
		{name: "VmRSS in another unit", stat: "10 (x) S 1", status: "VmRSS:\t1 MB\n"},
		{name: "VmRSS not a number", stat: "10 (x) S 1", status: "VmRSS:\tlots kB\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proc := fstest.MapFS{
				"10/stat":   &fstest.MapFile{Data: []byte(tt.stat)},
				"10/status": &fstest.MapFile{Data: []byte(tt.status)},
			}
			if tree, err := ReadFS(proc, 10); err == nil {
				t.Fatalf("got %+v, want an error", tree)
			}
		})
	}
}

// TestRead reads the real /proc: the test process itself, then with a child it started.
func TestRead(t *testing.T) {
	self := os.Getpid()
	alone, err := Read(self)
	if err != nil {
		t.Fatal(err)
	}
	if root := alone.Root(); root.PID != self || root.PPID != os.Getppid() || root.RSS <= 0 {
		t.Fatalf("root %+v, want pid %d, ppid %d and some resident memory", root, self, os.Getppid())
	}
	// comm is the executable's name cut to 15 bytes.
	wantComm := filepath.Base(os.Args[0])
	wantComm = wantComm[:min(len(wantComm), 15)]
	if got := alone.Root().Comm; got != wantComm {
		t.Errorf("root comm %q, want %q", got, wantComm)
	}

	sleep := exec.Command("sleep", "5")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = sleep.Process.Kill()
		_ = sleep.Wait()
	})
	withChild, err := Read(self)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(withChild.Processes, func(p Process) bool { return p.PID == sleep.Process.Pid })
	if i < 0 {
		t.Fatalf("child %d not in %+v", sleep.Process.Pid, withChild.Processes)
	}
	child := withChild.Processes[i]
	// Between fork and exec the child is still a copy of the test binary; once exec'd it is sleep.
	if child.PPID != self || (child.Comm != "sleep" && child.Comm != alone.Root().Comm) {
		t.Errorf("child %+v, want ppid %d and comm sleep", child, self)
	}
	if withChild.TotalRSS() <= withChild.Root().RSS {
		t.Errorf("total %d not above the root's own %d with a live child", withChild.TotalRSS(), withChild.Root().RSS)
	}

	if err := sleep.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = sleep.Wait()
	after, err := Read(self)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(after.Processes, func(p Process) bool { return p.PID == sleep.Process.Pid }) {
		t.Errorf("reaped child %d still in the tree", sleep.Process.Pid)
	}
}
