package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// prompter asks init's questions whose flags were not given. With --yes
// it asks nothing: defaults are taken and a required value that has no
// default is an error naming its flag.
type prompter struct {
	in   *bufio.Reader
	out  io.Writer
	ask  bool
	seen map[string]bool // flags given on the command line
}

func newPrompter(in io.Reader, out io.Writer, fs *flag.FlagSet, ask bool) *prompter {
	p := &prompter{in: bufio.NewReader(in), out: out, ask: ask, seen: map[string]bool{}}
	fs.Visit(func(f *flag.Flag) { p.seen[f.Name] = true })
	return p
}

// line reads one answer. End of input is an error naming the flag that
// would have answered the question.
func (p *prompter) line(flagName string) (string, error) {
	s, err := p.in.ReadString('\n')
	if err != nil && (s == "" || !errors.Is(err, io.EOF)) {
		if errors.Is(err, io.EOF) {
			return "", fmt.Errorf("no answer on standard input (give --%s, or --yes to take defaults)", flagName)
		}
		return "", err
	}
	return strings.TrimSpace(s), nil
}

// text returns *val when its flag was given, and otherwise asks, offering
// def (an empty answer takes it). required refuses an empty result.
func (p *prompter) text(flagName, question, def string, required bool, val *string) error {
	if p.seen[flagName] {
		if required && strings.TrimSpace(*val) == "" {
			return fmt.Errorf("--%s must not be empty", flagName)
		}
		return nil
	}
	if !p.ask {
		*val = def
		if required && def == "" {
			return fmt.Errorf("missing --%s (%s)", flagName, question)
		}
		return nil
	}
	for tries := 0; ; tries++ {
		if def != "" {
			fmt.Fprintf(p.out, "%s [%s]: ", question, def)
		} else {
			fmt.Fprintf(p.out, "%s: ", question)
		}
		ans, err := p.line(flagName)
		if err != nil {
			return err
		}
		if ans == "" {
			ans = def
		}
		if ans != "" || !required {
			*val = ans
			return nil
		}
		if tries == 2 {
			return fmt.Errorf("no value for --%s (%s)", flagName, question)
		}
		fmt.Fprintln(p.out, "  a value is required")
	}
}

// yesNo returns *val when its flag was given, and otherwise asks.
func (p *prompter) yesNo(flagName, question string, def bool, val *bool) error {
	if p.seen[flagName] {
		return nil
	}
	if !p.ask {
		*val = def
		return nil
	}
	hint := "y/N"
	if def {
		hint = "Y/n"
	}
	for {
		fmt.Fprintf(p.out, "%s [%s]: ", question, hint)
		ans, err := p.line(flagName)
		if err != nil {
			return err
		}
		switch strings.ToLower(ans) {
		case "":
			*val = def
			return nil
		case "y", "yes":
			*val = true
			return nil
		case "n", "no":
			*val = false
			return nil
		}
		fmt.Fprintln(p.out, "  answer y or n")
	}
}

// choice is text restricted to options.
func (p *prompter) choice(flagName, question string, options []string, def string, val *string) error {
	q := fmt.Sprintf("%s (%s)", question, strings.Join(options, ", "))
	for tries := 0; ; tries++ {
		if err := p.text(flagName, q, def, true, val); err != nil {
			return err
		}
		*val = strings.ToLower(strings.TrimSpace(*val))
		if slices.Contains(options, *val) {
			return nil
		}
		if p.seen[flagName] || !p.ask || tries == 2 {
			return fmt.Errorf("--%s: %q is not one of %s", flagName, *val, strings.Join(options, ", "))
		}
		fmt.Fprintf(p.out, "  want one of %s\n", strings.Join(options, ", "))
	}
}
