package main

import (
	"fmt"
	"io"
)

// progress reports how far a long operation is. On a terminal it rewrites
// one line ("\r"); elsewhere (a log file, a pipe, systemd's journal) it
// writes a plain line at every tenth of the work, so logs stay short.
type progress struct {
	w           io.Writer
	label       string
	interactive bool
	lastTenth   int
	open        bool // a terminal line is waiting for its newline
}

func (a *app) progress(label string) *progress {
	return &progress{w: a.stdout, label: label, interactive: a.interactive, lastTenth: -1}
}

// update reports that done of total are done.
func (p *progress) update(done, total int) {
	if total <= 0 {
		return
	}
	if p.interactive {
		fmt.Fprintf(p.w, "\r%s: %d/%d (%d%%)", p.label, done, total, done*100/total)
		p.open = true
		if done == total {
			p.finish()
		}
		return
	}
	tenth := done * 10 / total
	if tenth != p.lastTenth { // the last step is always a new tenth
		p.lastTenth = tenth
		fmt.Fprintf(p.w, "%s: %d/%d\n", p.label, done, total)
	}
}

// finish ends a terminal progress line.
func (p *progress) finish() {
	if p.open {
		fmt.Fprintln(p.w)
		p.open = false
	}
}
