package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// postgresCPU is the CPU time so far of the processes named postgres on
// this machine (the server and its backends; a backend that has exited
// is no longer counted), or 0 when there are none.
func postgresCPU() time.Duration {
	var total time.Duration
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if comm, err := os.ReadFile(filepath.Join("/proc", d.Name(), "comm")); err == nil && strings.TrimSpace(string(comm)) == "postgres" {
			total += procCPU(pid)
		}
	}
	return total
}

// machineTicks is the clock ticks all CPUs of the machine have spent so
// far, busy and in all (from /proc/stat's cpu line; steal counts as
// busy, as the time is not ours), or zeros where that is missing.
func machineTicks() (busy, total int64) {
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(stat), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0
	}
	for i, s := range f[1:9] { // user nice system idle iowait irq softirq steal
		n, _ := strconv.ParseInt(s, 10, 64)
		total += n
		if i != 3 && i != 4 {
			busy += n
		}
	}
	return busy, total
}

// busyShare is the share of the machine's CPU time that was busy between
// two machineTicks, or -1 when it is not known.
func busyShare(busy0, total0, busy1, total1 int64) float64 {
	if total1 <= total0 {
		return -1
	}
	return float64(busy1-busy0) / float64(total1-total0)
}
