package main

import (
	"encoding/base64"
	"io"
)

type attribute struct {
	name   string
	values []string
}

func attr(name string, values ...string) attribute { return attribute{name, values} }

// ldifWriter writes LDIF (RFC 2849) content records and keeps the first
// write error.
type ldifWriter struct {
	w   io.Writer
	buf []byte
	err error
}

func (l *ldifWriter) entry(dn string, attrs ...attribute) {
	if l.err != nil {
		return
	}
	b := l.buf[:0]
	b = appendLine(b, "dn", dn)
	for _, a := range attrs {
		for _, v := range a.values {
			b = appendLine(b, a.name, v)
		}
	}
	b = append(b, '\n')
	_, l.err = l.w.Write(b)
	l.buf = b
}

// appendLine appends "name: value", or "name:: base64" when value is not a
// SAFE-STRING. Lines are not folded; slapadd reads long lines.
func appendLine(b []byte, name, value string) []byte {
	b = append(b, name...)
	if safe(value) {
		b = append(b, ": "...)
		b = append(b, value...)
	} else {
		b = append(b, ":: "...)
		b = base64.StdEncoding.AppendEncode(b, []byte(value))
	}
	return append(b, '\n')
}

func safe(v string) bool {
	if v == "" {
		return true
	}
	switch v[0] {
	case ' ', ':', '<':
		return false
	}
	if v[len(v)-1] == ' ' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == 0 || c == '\n' || c == '\r' || c > 0x7f {
			return false
		}
	}
	return true
}
