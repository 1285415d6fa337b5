// Package proctree measures the resident memory of a process and of every process it started,
// read from Linux's /proc, or from `ps` where there is no /proc (macOS). The offline stack runs the
// real bootstrap binaries as children of one program, so the memory it costs is that of the whole
// tree, not of the parent alone.
package proctree

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// Process is one process of a tree.
type Process struct {
	PID  int
	PPID int
	Comm string // the kernel's short command name (at most 15 bytes)
	RSS  int64  // resident set size in bytes (VmRSS); 0 for kernel threads and zombies
}

// Tree is a process and its descendants as seen at one moment.
type Tree struct {
	// Processes holds the root first, then its descendants breadth first, each level by PID.
	Processes []Process
}

// Root is the process the tree was read for.
func (t Tree) Root() Process {
	if len(t.Processes) == 0 {
		return Process{}
	}
	return t.Processes[0]
}

// TotalRSS is the sum of the resident memory of every process of the tree. Pages shared between
// processes (the same binary's text, for example) are counted once per process, as VmRSS counts them.
func (t Tree) TotalRSS() int64 {
	var total int64
	for _, p := range t.Processes {
		total += p.RSS
	}
	return total
}

// Read returns the process pid and all its descendants from /proc, or from `ps` without it.
func Read(pid int) (Tree, error) {
	if _, err := os.Stat("/proc/self/stat"); err == nil {
		return ReadFS(os.DirFS("/proc"), pid)
	}
	out, err := exec.Command("ps", "-A", "-o", "pid=,ppid=,rss=,comm=").Output()
	if err != nil {
		return Tree{}, fmt.Errorf("no /proc, and ps failed: %w", err)
	}
	return ReadPS(out, pid)
}

// ReadPS builds the tree of pid from the output of `ps -A -o pid=,ppid=,rss=,comm=` (POSIX
// fields; rss in KiB on Linux, macOS and the BSDs).
func ReadPS(out []byte, pid int) (Tree, error) {
	var root *Process
	children := make(map[int][]Process)
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 4 {
			return Tree{}, fmt.Errorf("ps line %q: want pid, ppid, rss and command", line)
		}
		var nums [3]int64
		for i := range nums {
			n, err := strconv.ParseInt(f[i], 10, 64)
			if err != nil {
				return Tree{}, fmt.Errorf("ps line %q: %w", line, err)
			}
			nums[i] = n
		}
		p := Process{PID: int(nums[0]), PPID: int(nums[1]), RSS: nums[2] * 1024, Comm: filepath.Base(strings.Join(f[3:], " "))}
		if p.PID == pid {
			root = &p
			continue
		}
		children[p.PPID] = append(children[p.PPID], p)
	}
	if root == nil {
		return Tree{}, fmt.Errorf("read process %d: %w", pid, fs.ErrNotExist)
	}
	return walk(*root, children), nil
}

// ReadFS is Read over a /proc file system given as fsys (a directory per process holding stat and
// status), so that tests can use a fabricated one.
func ReadFS(fsys fs.FS, pid int) (Tree, error) {
	root, err := readProcess(fsys, pid)
	if err != nil {
		return Tree{}, fmt.Errorf("read process %d: %w", pid, err)
	}
	// Parent links come from every process's stat rather than from task/*/children, which needs
	// CONFIG_PROC_CHILDREN and misses children of threads other than the ones listed.
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return Tree{}, fmt.Errorf("list processes: %w", err)
	}
	children := make(map[int][]Process)
	for _, e := range entries {
		id, err := strconv.Atoi(e.Name())
		if err != nil || !e.IsDir() || id == pid {
			continue
		}
		p, err := readProcess(fsys, id)
		if err != nil {
			// A process that exited between the listing and the read is simply not part of
			// the tree any more.
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) || errors.Is(err, errVanished) {
				continue
			}
			return Tree{}, fmt.Errorf("read process %d: %w", id, err)
		}
		children[p.PPID] = append(children[p.PPID], p)
	}
	return walk(root, children), nil
}

// walk gathers root's descendants from the parent links.
func walk(root Process, children map[int][]Process) Tree {
	pid := root.PID
	tree := Tree{Processes: []Process{root}}
	// Breadth first from the root; a PID seen twice (a reused PID during the scan) is not followed
	// again, so the walk always ends.
	seen := map[int]bool{pid: true}
	for i := 0; i < len(tree.Processes); i++ {
		kids := children[tree.Processes[i].PID]
		slices.SortFunc(kids, func(a, b Process) int { return a.PID - b.PID })
		for _, k := range kids {
			if !seen[k.PID] {
				seen[k.PID] = true
				tree.Processes = append(tree.Processes, k)
			}
		}
	}
	return tree
}

// errVanished marks a process whose files were readable but empty: it exited while being read.
var errVanished = errors.New("process exited while being read")

func readProcess(fsys fs.FS, pid int) (Process, error) {
	dir := strconv.Itoa(pid)
	stat, err := fs.ReadFile(fsys, dir+"/stat")
	if err != nil {
		return Process{}, err
	}
	p, err := parseStat(stat)
	if err != nil {
		return Process{}, err
	}
	status, err := fs.ReadFile(fsys, dir+"/status")
	if err != nil {
		return Process{}, err
	}
	if p.RSS, err = parseVmRSS(status); err != nil {
		return Process{}, err
	}
	return p, nil
}

// parseStat reads pid, comm and ppid from /proc/<pid>/stat: "pid (comm) state ppid ...". comm may
// hold spaces and parentheses, so it runs to the last ')'.
func parseStat(b []byte) (Process, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return Process{}, errVanished
	}
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open < 0 || closing < open {
		return Process{}, fmt.Errorf("stat %q: no (comm)", b)
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return Process{}, fmt.Errorf("stat %q: pid: %w", b, err)
	}
	rest := strings.Fields(string(b[closing+1:]))
	if len(rest) < 2 {
		return Process{}, fmt.Errorf("stat %q: no ppid", b)
	}
	ppid, err := strconv.Atoi(rest[1])
	if err != nil {
		return Process{}, fmt.Errorf("stat %q: ppid: %w", b, err)
	}
	return Process{PID: pid, PPID: ppid, Comm: string(b[open+1 : closing])}, nil
}

// parseVmRSS returns the VmRSS line of /proc/<pid>/status in bytes. Kernel threads and zombies have
// no such line: they hold no user memory, so that is 0, not an error.
func parseVmRSS(b []byte) (int64, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return 0, errVanished
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		value, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(value)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("VmRSS %q: want \"<n> kB\"", value)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmRSS %q: %w", value, err)
		}
		return kb * 1024, nil
	}
	return 0, sc.Err()
}
