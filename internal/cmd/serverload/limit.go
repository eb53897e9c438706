package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// limits is the share of the machine each server process of a measured
// run gets; the zero value is no limit.
type limits struct {
	// gomaxprocs, when > 0, is the process's GOMAXPROCS.
	gomaxprocs int
	// pin puts process i on core i mod NumCPU (taskset -c).
	pin bool
	// quota, when > 0, is the CPU time the process may use, in cores
	// (a cgroup v1 CFS quota of its own: 0.5 is half a core).
	quota float64
	// profile, when set, is a folder where each process's CPU profile of
	// each run's load is written (run-R-SETTING-pP.pprof).
	profile string
}

func (l limits) String() string {
	var s []string
	if l.gomaxprocs > 0 {
		s = append(s, fmt.Sprintf("GOMAXPROCS=%d", l.gomaxprocs))
	}
	if l.pin {
		s = append(s, "each on a core of its own")
	}
	if l.quota > 0 {
		s = append(s, fmt.Sprintf("CPU quota %.2f core", l.quota))
	}
	if len(s) == 0 {
		return "no limit"
	}
	return strings.Join(s, ", ")
}

// cgroupCPU is where cgroup v1's cpu controller is mounted.
const cgroupCPU = "/sys/fs/cgroup/cpu"

// profilerEnv names the file where a process built with the profiler
// writes the address of its profile listener.
const profilerEnv = "SERVERLOAD_PROFILER_ADDR_FILE"

// profilerSource is compiled into the server binary (go build -overlay)
// when -cpuprofile is given, never into the server's own sources: with
// $SERVERLOAD_PROFILER_ADDR_FILE set, the process listens on a loopback
// port of its own, writes the address to that file and answers
// GET /cpu?d=10s with a CPU profile of the next d.
const profilerSource = `package main

import (
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"time"
)

func init() {
	path := os.Getenv("` + profilerEnv + `")
	if path == "" {
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(path, []byte(ln.Addr().String()), 0o600); err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cpu", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("d"))
		if err != nil || d <= 0 || d > 10*time.Minute {
			http.Error(w, "d: a duration up to 10m", http.StatusBadRequest)
			return
		}
		if err := pprof.StartCPUProfile(w); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		select {
		case <-time.After(d):
		case <-r.Context().Done():
		}
		pprof.StopCPUProfile()
	})
	go func() { _ = http.Serve(ln, mux) }()
}
`

// buildServer compiles examples/server of the module at root ("": the
// working folder) into dir as name, with the profiler when profile is
// true, and returns the binary's path.
func buildServer(dir, root, name string, profile bool) (string, error) {
	if root == "" {
		root = "."
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "usher-server-"+name)
	args := []string{"build", "-o", bin}
	if profile {
		src := filepath.Join(dir, "profiler.go")
		if err := os.WriteFile(src, []byte(profilerSource), 0o600); err != nil {
			return "", err
		}
		overlay, err := json.Marshal(map[string]map[string]string{"Replace": {
			filepath.Join(root, "examples", "server", "zz_serverload_profiler.go"): src}})
		if err != nil {
			return "", err
		}
		ov := filepath.Join(dir, "overlay.json")
		if err := os.WriteFile(ov, overlay, 0o600); err != nil {
			return "", err
		}
		args = append(args, "-overlay", ov)
	}
	cmd := exec.Command("go", append(args, "./examples/server")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s in %s (the module's root): %v\n%s", strings.Join(cmd.Args[1:], " "), root, err, out)
	}
	return bin, nil
}

// limited is a started process's limits, to undo after it stopped.
type limited struct {
	cgroup      string // "" without a quota
	profileAddr string // file with the profiler's address, "" without
}

// wrapper writes a shell script that starts bin as process i under lim
// and returns its path: it moves itself into a cgroup of its own (with a
// quota), then execs taskset and bin, so that the server keeps the
// script's PID and every thread it makes inherits the limits.
func wrapper(dir, bin string, i int, lim limits, tag string) (string, limited, error) {
	var l limited
	var sh strings.Builder
	sh.WriteString("#!/bin/sh\nset -e\n")
	if lim.quota > 0 {
		l.cgroup = filepath.Join(cgroupCPU, fmt.Sprintf("serverload-%d-%s-%d", os.Getpid(), tag, i))
		if err := os.Mkdir(l.cgroup, 0o755); err != nil {
			return "", l, fmt.Errorf("-cpu-quota needs cgroup v1's cpu controller at %s, writable: %w", cgroupCPU, err)
		}
		const period = 100000 // µs
		for f, v := range map[string]int{"cpu.cfs_period_us": period, "cpu.cfs_quota_us": int(lim.quota * period)} {
			if err := os.WriteFile(filepath.Join(l.cgroup, f), []byte(strconv.Itoa(v)), 0o644); err != nil {
				_ = os.Remove(l.cgroup)
				return "", l, fmt.Errorf("cgroup %s: %w", f, err)
			}
		}
		fmt.Fprintf(&sh, "echo $$ > %s/cgroup.procs\n", l.cgroup)
	}
	sh.WriteString("exec env")
	if lim.gomaxprocs > 0 {
		fmt.Fprintf(&sh, " GOMAXPROCS=%d", lim.gomaxprocs)
	}
	if lim.profile != "" {
		l.profileAddr = filepath.Join(dir, fmt.Sprintf("profiler-%s-%d", tag, i))
		fmt.Fprintf(&sh, " %s=%s", profilerEnv, l.profileAddr)
	}
	if lim.pin {
		fmt.Fprintf(&sh, " taskset -c %d", i%runtime.NumCPU())
	}
	fmt.Fprintf(&sh, " %s \"$@\"\n", bin)
	path := filepath.Join(dir, fmt.Sprintf("server-%s-%d.sh", tag, i))
	if err := os.WriteFile(path, []byte(sh.String()), 0o700); err != nil {
		return "", l, err
	}
	return path, l, nil
}

// undo removes the process's cgroup (after the process ended).
func (l limited) undo() {
	if l.cgroup == "" {
		return
	}
	// The kernel may still count the exited process for a moment.
	for range 50 {
		if err := os.Remove(l.cgroup); err == nil || errors.Is(err, os.ErrNotExist) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// throttled is the time the kernel held the process back for its quota
// so far (cpu.stat's throttled_time), or 0.
func (l limited) throttled() time.Duration {
	if l.cgroup == "" {
		return 0
	}
	b, err := os.ReadFile(filepath.Join(l.cgroup, "cpu.stat"))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "throttled_time "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return time.Duration(n)
		}
	}
	return 0
}

// profileCPU asks the process's profiler for a profile of the next d and
// writes it to path; it returns when the profile is written.
func (l limited) profileCPU(d time.Duration, path string) error {
	addr, err := os.ReadFile(l.profileAddr)
	if err != nil {
		return fmt.Errorf("the profiler's address: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+string(addr)+"/cpu?d="+d.String(), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profiler: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// loadAverage is the machine's 1-minute load average, from /proc.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
