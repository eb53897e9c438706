package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"runtime"
	"slices"
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

// cpuUse is who used the CPU between two samples: the server processes,
// this program, PostgreSQL when watched (the postmaster and its
// backends, living or exited), and the rest (whatever else runs on the
// machine), in CPU seconds.
type cpuUse struct {
	ok            bool
	wall          float64
	busy, busyPct float64
	procs         []float64
	servers, self float64
	db            float64
	dbOK          bool
	rest          float64
}

func cpuUsed(a, b cpuSample) cpuUse {
	if !a.ok || !b.ok || b.total <= a.total {
		return cpuUse{}
	}
	u := cpuUse{ok: true, wall: b.at.Sub(a.at).Seconds(), busy: b.busy - a.busy, self: b.self - a.self}
	u.busyPct = 100 * u.busy / (b.total - a.total)
	for i := range a.procs {
		d := b.procs[i] - a.procs[i]
		u.servers += d
		u.procs = append(u.procs, d)
	}
	if a.dbOK && b.dbOK {
		u.db, u.dbOK = max(b.db-a.db, 0), true
	}
	u.rest = max(u.busy-u.servers-u.self-u.db, 0)
	return u
}

// each is the servers' CPU seconds, one by one.
func (u cpuUse) each() string {
	var each []string
	for _, d := range u.procs {
		each = append(each, fmt.Sprintf("%.1f", d))
	}
	return strings.Join(each, " + ")
}

func (u cpuUse) String() string {
	if !u.ok {
		return "CPU: not measured (no /proc)"
	}
	head := fmt.Sprintf("CPU over %.1f s on %d cores: %.0f%% busy (%.1f core-s): server processes %.1f s (%s), serverload %.1f s",
		u.wall, runtime.NumCPU(), u.busyPct, u.busy, u.servers, u.each(), u.self)
	if u.dbOK {
		return fmt.Sprintf("%s, PostgreSQL %.1f s, the rest (other jobs) %.1f s", head, u.db, u.rest)
	}
	return fmt.Sprintf("%s, the rest (other jobs; a database server it could not watch) %.1f s", head, u.rest)
}

// watchConnections counts the connections to dsn's database ten times a
// second (pg_stat_activity) until the returned function is called, which
// returns the most seen at once, or -1 when not on PostgreSQL.
func watchConnections(dsn string) func() int {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return func() int { return -1 }
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return func() int { return -1 }
	}
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		defer db.Close()
		peak := -1
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			var n int
			// Not counting this watcher's own connection.
			if err := db.QueryRowContext(ctx, "SELECT count(*) - 1 FROM pg_stat_activity WHERE datname = current_database()").Scan(&n); err == nil {
				peak = max(peak, n)
			}
			select {
			case <-ctx.Done():
				done <- peak
				return
			case <-t.C:
			}
		}
	}()
	return func() int {
		cancel()
		return <-done
	}
}

// pgStats is what PostgreSQL's statistics say of dsn's database so far:
// transactions committed, rows returned by scans and fetched by index,
// and the tables read most by sequential scans.
type pgStats struct {
	ok             bool
	commits        int64
	returned       int64
	fetched        int64
	seqRead        map[string]int64 // rows read by sequential scans, by table
	seqScans       map[string]int64
	idxScans, ins  int64
	blocksHit      int64
	tempBytes, dls int64
}

// readPGStats asks for a fresh snapshot of the statistics; on SQLite, or
// failing, the result is not ok.
func readPGStats(dsn string) pgStats {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return pgStats{}
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return pgStats{}
	}
	defer db.Close()
	ctx := context.Background()
	s := pgStats{ok: true, seqRead: map[string]int64{}, seqScans: map[string]int64{}}
	if err := db.QueryRowContext(ctx, `SELECT xact_commit, tup_returned, tup_fetched, blks_hit, temp_bytes, deadlocks
		FROM pg_stat_database WHERE datname = current_database()`).Scan(&s.commits, &s.returned, &s.fetched, &s.blocksHit, &s.tempBytes, &s.dls); err != nil {
		return pgStats{}
	}
	rows, err := db.QueryContext(ctx, `SELECT relname, COALESCE(seq_scan, 0), COALESCE(seq_tup_read, 0), COALESCE(idx_scan, 0), n_tup_ins FROM pg_stat_user_tables`)
	if err != nil {
		return pgStats{}
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var seq, read, idx, ins int64
		if err := rows.Scan(&name, &seq, &read, &idx, &ins); err != nil {
			return pgStats{}
		}
		s.seqScans[name], s.seqRead[name] = seq, read
		s.idxScans += idx
		s.ins += ins
	}
	if rows.Err() != nil {
		return pgStats{}
	}
	return s
}

// pgReport says, per round (or request), what PostgreSQL did between a
// and b: transactions, index scans, rows returned and fetched, rows
// inserted, and the tables read most by sequential scans.
func pgReport(a, b pgStats, rounds int) string {
	if !a.ok || !b.ok || rounds == 0 {
		return ""
	}
	n := float64(rounds)
	type tab struct {
		name        string
		scans, read int64
	}
	var tabs []tab
	for name, read := range b.seqRead {
		if d := read - a.seqRead[name]; d > 0 {
			tabs = append(tabs, tab{name, b.seqScans[name] - a.seqScans[name], d})
		}
	}
	slices.SortFunc(tabs, func(x, y tab) int { return int(y.read - x.read) })
	var top []string
	for _, t := range tabs[:min(len(tabs), 4)] {
		top = append(top, fmt.Sprintf("%s %.1f scans, %.0f rows", t.name, float64(t.scans)/n, float64(t.read)/n))
	}
	return fmt.Sprintf("PostgreSQL per round: %.1f transactions, %.1f index scans, %.0f rows returned, %.1f fetched, %.1f inserted, %.0f buffer hits; sequential scans per round: %s (deadlocks %d, temp bytes %d)",
		float64(b.commits-a.commits)/n, float64(b.idxScans-a.idxScans)/n, float64(b.returned-a.returned)/n, float64(b.fetched-a.fetched)/n,
		float64(b.ins-a.ins)/n, float64(b.blocksHit-a.blocksHit)/n, strings.Join(top, "; "), b.dls-a.dls, b.tempBytes-a.tempBytes)
}
