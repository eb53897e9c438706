package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseCounts(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		err  bool
	}{
		{in: "1", want: []int{1}},
		{in: "1,2", want: []int{1, 2}},
		{in: " 2 , 1 ", want: []int{2, 1}},
		{in: "0", err: true},
		{in: "17", err: true},
		{in: "1,,2", err: true},
		{in: "two", err: true},
	} {
		got, err := parseCounts(tc.in)
		if tc.err {
			assert.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestWrapper(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		lim  limits
		want []string
		not  []string
	}{
		{name: "none", want: []string{"exec env /bin/server \"$@\""}, not: []string{"GOMAXPROCS", "taskset", "cgroup"}},
		{name: "gomaxprocs and pin", lim: limits{gomaxprocs: 1, pin: true},
			want: []string{"GOMAXPROCS=1", "taskset -c 1 /bin/server"}},
		{name: "profile", lim: limits{profile: dir}, want: []string{profilerEnv + "=" + filepath.Join(dir, "profiler-t-1")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, l, err := wrapper(dir, "/bin/server", 1, tc.lim, "t")
			require.NoError(t, err)
			defer l.undo()
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			for _, w := range tc.want {
				assert.Contains(t, string(b), w)
			}
			for _, n := range tc.not {
				assert.NotContains(t, string(b), n)
			}
			assert.True(t, strings.HasPrefix(string(b), "#!/bin/sh\n"))
			assert.Zero(t, l.throttled(), "no cgroup, nothing held back")
		})
	}
}

func TestLimitsString(t *testing.T) {
	assert.Equal(t, "no limit", limits{}.String())
	assert.Equal(t, "GOMAXPROCS=1, each on a core of its own, CPU quota 0.25 core",
		limits{gomaxprocs: 1, pin: true, quota: 0.25}.String())
}

func TestPGReport(t *testing.T) {
	assert.Empty(t, pgReport(pgStats{}, pgStats{ok: true}, 10), "no snapshot before")
	a := pgStats{ok: true, commits: 100, seqRead: map[string]int64{"t": 10}, seqScans: map[string]int64{"t": 1}}
	b := pgStats{ok: true, commits: 300, seqRead: map[string]int64{"t": 1010}, seqScans: map[string]int64{"t": 11}}
	r := pgReport(a, b, 100)
	assert.Contains(t, r, "2.0 transactions")
	assert.Contains(t, r, "t 0.1 scans, 10 rows")
}

func TestCPUUsed(t *testing.T) {
	at := time.Now()
	a := cpuSample{at: at, ok: true, busy: 10, total: 20, procs: []float64{1, 2}, self: 1, db: 3, dbOK: true}
	b := cpuSample{at: at.Add(10 * time.Second), ok: true, busy: 28, total: 40, procs: []float64{4, 6}, self: 2, db: 8, dbOK: true}
	u := cpuUsed(a, b)
	assert.InDelta(t, 7, u.servers, 1e-9)
	assert.Equal(t, "3.0 + 4.0", u.each())
	assert.InDelta(t, 5, u.db, 1e-9)
	assert.InDelta(t, 18-7-1-5, u.rest, 1e-9)
	assert.InDelta(t, 90, u.busyPct, 1e-9)
	assert.False(t, cpuUsed(cpuSample{}, b).ok)
}
