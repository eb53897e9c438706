package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAutosyncRunStopsOnCancel(t *testing.T) {
	t.Parallel()
	h := newHarness(t, staff(4))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, _, errOut := h.app("")
	done := make(chan int, 1)
	go func() { done <- a.run(ctx, []string{"autosync", "run", "--interval", "20ms"}) }()

	// The first step is a full reconciliation.
	require.Eventually(t, func() bool { return len(h.users()) == 4 }, 30*time.Second, 20*time.Millisecond)

	// A changed file is picked up by an incremental step.
	writeCSV(t, h.csv, staff(5))
	require.Eventually(t, func() bool { return len(h.users()) == 5 }, 30*time.Second, 20*time.Millisecond)
	_, err := os.Stat(filepath.Join(h.dir, "cursors", "cursor-csv"))
	require.NoError(t, err, "the change cursor is kept beside the configuration")

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code)
	case <-time.After(30 * time.Second):
		t.Fatal("autosync run did not stop after its context was cancelled")
	}
	assert.Contains(t, errOut.String(), "autosync started")
	assert.Contains(t, errOut.String(), "autosync stopped")
	assert.NotContains(t, errOut.String(), "example.test", "logs name users by identifier only")
}
