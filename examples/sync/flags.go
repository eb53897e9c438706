package main

import (
	"flag"
	"fmt"
	"log/slog"
)

// common holds the flags every verb that reads the configuration has.
type common struct {
	config  string
	verbose bool
}

// newFlagSet returns a verb's flag set, which reports errors instead of
// exiting and writes its help to stderr.
func (a *app) newFlagSet(name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	fs.Usage = func() {
		fmt.Fprintf(a.stderr, "usage: usher-sync %s [flags] %s\n\nflags:\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// commonFlags adds --config and -v to fs.
func (a *app) commonFlags(fs *flag.FlagSet) *common {
	c := &common{}
	def := a.getenv("USHER_SYNC_CONFIG")
	if def == "" {
		def = defaultConfigPath
	}
	fs.StringVar(&c.config, "config", def, "configuration file (env USHER_SYNC_CONFIG)")
	fs.BoolVar(&c.verbose, "v", false, "log every change (by identifier) on stderr")
	return c
}

func (c *common) level() slog.Level {
	if c.verbose {
		return slog.LevelInfo
	}
	return slog.LevelWarn
}

// parse parses args, allowing flags after positional arguments
// ("activate a@example.com --dry-run"), and returns the positional ones.
// "--" ends the flags. A flag error wraps errUsage; -h returns
// flag.ErrHelp.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// fs.Parse stops at "--" (consumed) or at the first non-flag.
		if len(args)-len(rest) > 0 && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// wantArgs checks the number of positional arguments.
func wantArgs(pos []string, min, max int, what string) error {
	if len(pos) < min || len(pos) > max {
		return usagef("want %s, got %d argument(s)", what, len(pos))
	}
	return nil
}
