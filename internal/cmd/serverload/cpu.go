package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// clockTicks is the unit of /proc's CPU times (USER_HZ, 100 on Linux).
const clockTicks = 100

// cpuSample is where the CPU time stood at one moment: the machine's
// busy and total time over all cores, and each watched process's.
type cpuSample struct {
	at          time.Time
	busy, total float64
	procs       []float64
	self        float64
	// db is the CPU of the PostgreSQL server's processes (the postmaster
	// and its backends, living or exited), when watched.
	db   float64
	dbOK bool
	ok   bool
}

// postmaster finds the PID of the PostgreSQL server behind dsn when it
// runs on this machine (a backend's parent), or returns 0.
func postmaster(dsn string) int {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return 0
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return 0
	}
	defer db.Close()
	var backend int
	if err := db.QueryRowContext(context.Background(), "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		return 0
	}
	f, ok := procStat(strconv.Itoa(backend))
	if !ok {
		return 0
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return 0
	}
	return ppid
}

// sessions is how many sessions PostgreSQL has opened on dsn's database
// so far (pg_stat_database.sessions, PostgreSQL 14 and later), or -1.
func sessions(dsn string) int64 {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return -1
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return -1
	}
	defer db.Close()
	var n int64
	// The statistics are flushed now and then: ask for a fresh snapshot.
	if err := db.QueryRowContext(context.Background(),
		"SELECT sessions FROM pg_stat_database WHERE datname = current_database()").Scan(&n); err != nil {
		return -1
	}
	return n
}

// treeCPU is the CPU seconds of pid and its children: the living ones'
// and, from pid's cutime and cstime, those that have exited (the
// postmaster reaps its backends).
func treeCPU(pid int) (float64, bool) {
	f, ok := procStat(strconv.Itoa(pid))
	if !ok || len(f) < 15 {
		return 0, false
	}
	total, ok := cpuOf(f)
	cu, err1 := strconv.ParseFloat(f[13], 64)
	cs, err2 := strconv.ParseFloat(f[14], 64)
	if !ok || err1 != nil || err2 != nil {
		return 0, false
	}
	total += (cu + cs) / clockTicks
	dir, err := os.ReadDir("/proc")
	if err != nil {
		return 0, false
	}
	parent := strconv.Itoa(pid)
	for _, e := range dir {
		if f, ok := procStat(e.Name()); ok && f[1] == parent {
			if t, ok := cpuOf(f); ok {
				total += t
			}
		}
	}
	return total, true
}

// sampleCPU reads /proc (Linux); elsewhere the sample is not ok. With
// dbPID (the postmaster) it also samples the database's processes.
func sampleCPU(pids []int, dbPID int) cpuSample {
	s := cpuSample{at: time.Now(), ok: true}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuSample{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return cpuSample{}
	}
	for i, v := range f[1:9] { // user nice system idle iowait irq softirq steal
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return cpuSample{}
		}
		s.total += n / clockTicks
		if i != 3 && i != 4 {
			s.busy += n / clockTicks
		}
	}
	for _, pid := range pids {
		t, ok := processCPU(strconv.Itoa(pid))
		s.ok = s.ok && ok
		s.procs = append(s.procs, t)
	}
	var ok bool
	s.self, ok = processCPU("self")
	s.ok = s.ok && ok
	if dbPID > 0 {
		s.db, s.dbOK = treeCPU(dbPID)
	}
	return s
}

// procStat is the fields of /proc/PID/stat after the command name
// (f[0] is the state, f[1] the parent's PID).
func procStat(pid string) ([]string, bool) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return nil, false
	}
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	return f, ok && len(f) >= 13
}

// processCPU is a process's user and system CPU seconds.
func processCPU(pid string) (float64, bool) {
	f, ok := procStat(pid)
	if !ok {
		return 0, false
	}
	return cpuOf(f)
}

func cpuOf(f []string) (float64, bool) {
	u, err1 := strconv.ParseFloat(f[11], 64)
	k, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return (u + k) / clockTicks, true
}

// cpuReport says how busy the machine was between a and b and who used
// the CPU: the server processes, this program, PostgreSQL when watched
// (the postmaster and its backends, living or exited), and the rest
// (whatever else runs on the machine).
func cpuReport(a, b cpuSample) string {
	if !a.ok || !b.ok || b.total <= a.total {
		return "CPU: not measured (no /proc)"
	}
	wall := b.at.Sub(a.at).Seconds()
	busy := b.busy - a.busy
	var servers float64
	var each []string
	for i := range a.procs {
		d := b.procs[i] - a.procs[i]
		servers += d
		each = append(each, fmt.Sprintf("%.1f", d))
	}
	self := b.self - a.self
	head := fmt.Sprintf("CPU over %.1f s on %d cores: %.0f%% busy (%.1f core-s): server processes %.1f s (%s), serverload %.1f s",
		wall, runtime.NumCPU(), 100*busy/(b.total-a.total), busy, servers, strings.Join(each, " + "), self)
	if a.dbOK && b.dbOK {
		db := max(b.db-a.db, 0)
		return fmt.Sprintf("%s, PostgreSQL %.1f s, the rest (other jobs) %.1f s", head, db, max(busy-servers-self-db, 0))
	}
	return fmt.Sprintf("%s, the rest (other jobs; a database server it could not watch) %.1f s", head, max(busy-servers-self, 0))
}
