package main

import (
	"flag"
	"fmt"
	"strings"
)

// defaultKey is the key file when -key is not given.
const defaultKey = "device.key"

// newFlagSet returns a subcommand's flag set, which reports errors instead
// of exiting and writes its help to stderr.
func (a *app) newFlagSet(name, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	fs.Usage = func() {
		fmt.Fprintf(a.stderr, "usage: %s %s [flags]\n\n%s\n\nflags:\n", prog, name, summary)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args; the subcommands take no positional arguments. A flag
// error wraps errUsage; -help returns flag.ErrHelp.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (flags go before it, e.g. -key FILE)", fs.Arg(0))
	}
	return nil
}

// paths are the files of one device, all derived from -key unless given.
type paths struct {
	key, state string
}

// keyFlags adds -key and -state to fs.
func keyFlags(fs *flag.FlagSet) *paths {
	p := &paths{}
	fs.StringVar(&p.key, "key", defaultKey, "the device's private key file (PKCS #8 PEM, mode 0600)")
	fs.StringVar(&p.state, "state", "", "the state file onboard writes (default: the key file + \".json\")")
	return p
}

// cert is where onboard stores the certificate: the key file + ".crt".
func (p *paths) cert() string { return p.key + ".crt" }

// statePath is -state, or the key file + ".json".
func (p *paths) statePath() string {
	if p.state != "" {
		return p.state
	}
	return p.key + ".json"
}

func (p *paths) check() error {
	if strings.TrimSpace(p.key) == "" {
		return usagef("-key must not be empty")
	}
	return nil
}
