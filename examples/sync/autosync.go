package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/usher-sdk/usher/directory"
)

// cmdAutosync runs "autosync run": directory.AutoSync in the foreground
// until ctx ends (SIGINT or SIGTERM in main).
func (a *app) cmdAutosync(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "run" {
		return usagef("want: autosync run")
	}
	fs := a.newFlagSet("autosync run", "")
	c := a.commonFlags(fs)
	interval := fs.Duration("interval", 0, "time between incremental steps (default: setting sync.interval, else 1m)")
	fullEvery := fs.Duration("full-every", 0, "time between full reconciliations (default: setting sync.fullEvery, else 24h)")
	force := fs.Bool("force", false, "let full reconciliations pass the deactivation guard (dangerous)")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, 0, "no arguments"); err != nil {
		return err
	}
	// A long-running service logs each change (by identifier) by default.
	s, err := a.open(ctx, c.config, needSource|needSigner, slog.LevelInfo)
	if err != nil {
		return err
	}
	defer s.close()
	as := &directory.AutoSync{
		Source:    s.source,
		Target:    s.target,
		Signer:    s.signer,
		Cursors:   directory.FileCursors{Dir: s.cfg.Sync.CursorDir},
		OrgID:     s.cfg.OrgID,
		Interval:  pick(*interval, duration(s.cfg.Sync.Interval, time.Minute)),
		FullEvery: pick(*fullEvery, duration(s.cfg.Sync.FullEvery, 24*time.Hour)),
		Plan:      directory.PlanOptions{MaxDeactivateShare: s.cfg.Sync.planShare(), Force: *force},
		Logger:    s.log,
		Now:       a.now,
	}
	s.log.Info("autosync started", "source", s.source.Name(), "interval", as.Interval, "full_every", as.FullEvery)
	err = as.Run(ctx)
	s.log.Info("autosync stopped", "err", err)
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("autosync: %w", err)
	}
	return err
}

func pick(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
