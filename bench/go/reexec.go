// The Go anchor of bench/prewarm.js: the same job as its 'noop' reexec, done the Go way
// (containers/storage's reexec pattern). The host re-executes /proc/self/exe with
// argv[0] "noop-go" in a new user namespace with a self map; the child chroots into the
// directory given, writes one JSON log line to fd 3 and exits; the host relays the line.
// The host serves one reexec per line on stdin and answers with the milliseconds it took,
// so the Node bench can interleave it with its own cases in one run.
//
// Built at bench time (go build), never committed as a binary.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func child() {
	dir := os.Args[1]
	if err := syscall.Chroot(dir); err != nil {
		fmt.Fprintln(os.Stderr, "chroot:", err)
		os.Exit(1)
	}
	if err := os.Chdir("/"); err != nil {
		fmt.Fprintln(os.Stderr, "chdir:", err)
		os.Exit(1)
	}
	log := os.NewFile(3, "log")
	line, _ := json.Marshal(map[string]any{"level": 30, "time": time.Now().UnixMilli(), "msg": "noop"})
	log.Write(append(line, '\n'))
	os.Exit(0)
}

func reexec(dir string) (float64, error) {
	start := time.Now()
	r, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command("/proc/self/exe", dir)
	cmd.Args[0] = "noop-go"
	cmd.Env = []string{}
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
		Pdeathsig:   syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	w.Close()
	logged, _ := io.ReadAll(r)
	r.Close()
	if err := cmd.Wait(); err != nil {
		return 0, err
	}
	var record map[string]any
	if err := json.Unmarshal(logged, &record); err != nil || record["msg"] != "noop" {
		return 0, fmt.Errorf("no log line relayed: %q", logged)
	}
	return float64(time.Since(start).Nanoseconds()) / 1e6, nil
}

func main() {
	if os.Args[0] == "noop-go" {
		child()
	}
	dir := os.Args[1]
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		ms, err := reexec(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "reexec:", err)
			os.Exit(1)
		}
		fmt.Println(ms)
	}
}
