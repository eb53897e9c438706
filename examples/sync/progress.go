package main

import (
	"fmt"
	"io"
)

// progress reports how far a long operation is. On a terminal it rewrites
// one line ("\r"); elsewhere (a log file, a pipe, systemd's journal) it
// writes a plain line at every tenth of the work, so logs stay short. The
// total may grow while the work goes on (a sync that plans as it writes).
type progress struct {
	w           io.Writer
	label       string
	interactive bool
	// growing: the total is what was planned so far, not the end.
	growing     bool
	lastTenth   int
	done, total int
	printed     [2]int // the last plain line's done and total
	open        bool   // a terminal line is waiting for its newline
}

func (a *app) progress(label string) *progress {
	return &progress{w: a.stdout, label: label, interactive: a.interactive, lastTenth: -1}
}

// update reports that done of total are done.
func (p *progress) update(done, total int) {
	if total <= 0 {
		return
	}
	p.done, p.total = done, total
	if p.interactive {
		if p.growing {
			fmt.Fprintf(p.w, "\r%s: %d done of %d planned so far", p.label, done, total)
		} else {
			fmt.Fprintf(p.w, "\r%s: %d/%d (%d%%)", p.label, done, total, done*100/total)
		}
		p.open = true
		return
	}
	if tenth := done * 10 / total; tenth > p.lastTenth {
		p.lastTenth = tenth
		p.line()
	}
}

func (p *progress) line() {
	fmt.Fprintf(p.w, "%s: %d/%d\n", p.label, p.done, p.total)
	p.printed = [2]int{p.done, p.total}
}

// finish ends a terminal progress line, or writes the last plain line
// when it was not written yet.
func (p *progress) finish() {
	switch {
	case p.open:
		fmt.Fprintln(p.w)
		p.open = false
	case !p.interactive && p.total > 0 && p.printed != [2]int{p.done, p.total}:
		p.line()
	}
}
