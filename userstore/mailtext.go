package userstore

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// This file holds the small template language of the Service's e-mails
// (MailTemplate). A text is literal text with two kinds of marks:
//
//   - [[label]]: replaced by the label's text in the mail's culture (see
//     MailTemplate.Labels). A label name is 1 to 64 ASCII letters, digits,
//     '_', '-' or '.'. A label's text may hold placeholders but no labels.
//   - {{.Field}}: replaced by a value of the user or the event, such as
//     {{.Username}}; spaces inside the braces are allowed ({{ .Username }}).
//
// There is no escape: "[[" and "{{" always start a mark, and a mark that is
// malformed or unterminated is an error, found when the Service is made.
// Values are inserted as they are, once: a value that looks like a mark is
// not expanded again.

// maxLabelName is the longest label name accepted.
const maxLabelName = 64

type segKind uint8

const (
	segLiteral segKind = iota
	segLabel
	segField
)

// segment is one piece of a parsed text.
type segment struct {
	kind segKind
	text string // the literal text, the label name or the field name
}

// mailText is a parsed template text.
type mailText []segment

// parseMailText parses s. Adjacent literal text is one segment; empty
// literals are dropped.
func parseMailText(s string) (mailText, error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("userstore: template is not valid UTF-8")
	}
	var out mailText
	lit := func(text string) {
		if text != "" {
			out = append(out, segment{segLiteral, text})
		}
	}
	for rest, off := s, 0; ; {
		i := indexMark(rest)
		if i < 0 {
			lit(rest)
			return out, nil
		}
		lit(rest[:i])
		open := rest[i : i+2]
		closeMark := "]]"
		if open == "{{" {
			closeMark = "}}"
		}
		body := rest[i+2:]
		j := strings.Index(body, closeMark)
		if j < 0 {
			return nil, fmt.Errorf("userstore: template: %s at byte %d is not closed by %s", open, off+i, closeMark)
		}
		name := strings.TrimSpace(body[:j])
		if open == "[[" {
			if !validLabelName(name) {
				return nil, fmt.Errorf("userstore: template: bad label name %q at byte %d: want 1 to %d letters, digits, '_', '-' or '.'", name, off+i, maxLabelName)
			}
			out = append(out, segment{segLabel, name})
		} else {
			field, ok := strings.CutPrefix(name, ".")
			if !ok || !validFieldName(field) {
				return nil, fmt.Errorf("userstore: template: bad placeholder %q at byte %d: want {{.Name}}", name, off+i)
			}
			out = append(out, segment{segField, field})
		}
		adv := i + 2 + j + 2
		rest, off = rest[adv:], off+adv
	}
}

// indexMark returns the index of the first "[[" or "{{" in s, or -1.
func indexMark(s string) int {
	for i := 0; i+1 < len(s); i++ {
		if (s[i] == '[' || s[i] == '{') && s[i+1] == s[i] {
			return i
		}
	}
	return -1
}

func validLabelName(s string) bool {
	if s == "" || len(s) > maxLabelName {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isASCIIAlnum(c) && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func validFieldName(s string) bool {
	if s == "" || len(s) > maxLabelName || !isASCIILetter(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isASCIIAlnum(s[i]) {
			return false
		}
	}
	return true
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isASCIIAlnum(c byte) bool  { return isASCIILetter(c) || '0' <= c && c <= '9' }

// String writes the text back in canonical form; parsing the result gives
// the same segments.
func (t mailText) String() string {
	var b strings.Builder
	for _, s := range t {
		switch s.kind {
		case segLiteral:
			b.WriteString(s.text)
		case segLabel:
			b.WriteString("[[" + s.text + "]]")
		case segField:
			b.WriteString("{{." + s.text + "}}")
		}
	}
	return b.String()
}

// fields returns the names of the placeholders of t.
func (t mailText) fields() []string {
	var out []string
	for _, s := range t {
		if s.kind == segField {
			out = append(out, s.text)
		}
	}
	return out
}

// hasLabels reports whether t uses a label.
func (t mailText) hasLabels() bool {
	return slices.ContainsFunc(t, func(s segment) bool { return s.kind == segLabel })
}

// render writes t with labels looked up by label and placeholders filled
// from fields (a missing field is empty).
func (t mailText) render(b *strings.Builder, label func(name string) (mailText, bool), fields map[string]string) {
	for _, s := range t {
		switch s.kind {
		case segLiteral:
			b.WriteString(s.text)
		case segField:
			b.WriteString(fields[s.text])
		case segLabel:
			if label == nil {
				b.WriteString(s.text)
			} else if lt, ok := label(s.text); ok {
				lt.render(b, nil, fields)
			} else {
				// No text in any culture: the label's own name.
				b.WriteString(s.text)
			}
		}
	}
}

// localizedText is a parsed MailTemplate.
type localizedText struct {
	subject, body mailText
	// labels maps a normalized culture ("" for the default) to label texts.
	labels map[string]map[string]mailText
}

// parseTemplate parses a MailTemplate, checking that every placeholder is
// one of known. where names the configuration entry in errors.
func parseTemplate(where string, m MailTemplate, defaults MailTemplate, known []string) (*localizedText, error) {
	if m.Subject == "" {
		m.Subject = defaults.Subject
	}
	if m.Body == "" {
		m.Body = defaults.Body
	}
	lt := &localizedText{labels: map[string]map[string]mailText{}}
	var errs []error
	check := func(field string, text string) mailText {
		t, err := parseMailText(text)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.%s: %w", where, field, err))
			return nil
		}
		for _, f := range t.fields() {
			if !slices.Contains(known, f) {
				errs = append(errs, fmt.Errorf("userstore: %s.%s: unknown placeholder {{.%s}} (known: %s)", where, field, f, strings.Join(known, ", ")))
			}
		}
		return t
	}
	lt.subject = check("Subject", m.Subject)
	lt.body = check("Body", m.Body)
	for culture, labels := range m.Labels {
		key := normalizeCulture(culture)
		if lt.labels[key] == nil {
			lt.labels[key] = map[string]mailText{}
		}
		for name, text := range labels {
			field := fmt.Sprintf("Labels[%q][%q]", culture, name)
			if !validLabelName(name) {
				errs = append(errs, fmt.Errorf("userstore: %s.%s: bad label name", where, field))
				continue
			}
			t := check(field, text)
			if t.hasLabels() {
				errs = append(errs, fmt.Errorf("userstore: %s.%s: a label's text cannot hold a label", where, field))
			}
			lt.labels[key][name] = t
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return lt.withDefaultLabels(), nil
}

// normalizeCulture lower-cases a culture name and writes "_" as "-";
// "default" and "*" mean the default culture "".
func normalizeCulture(c string) string {
	c = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(c), "_", "-"))
	if c == "default" || c == "*" {
		return ""
	}
	return c
}

// cultureChain returns the cultures to try for c, most specific first:
// "de-ch" gives "de-ch", "de", "".
func cultureChain(c string) []string {
	c = normalizeCulture(c)
	var out []string
	for c != "" {
		out = append(out, c)
		i := strings.LastIndexByte(c, '-')
		if i < 0 {
			break
		}
		c = c[:i]
	}
	return append(out, "")
}

// render returns the subject and body in culture. Line breaks and other
// control characters in the subject become spaces.
func (lt *localizedText) render(culture string, fields map[string]string) (subject, body string) {
	chain := cultureChain(culture)
	label := func(name string) (mailText, bool) {
		for _, c := range chain {
			if t, ok := lt.labels[c][name]; ok {
				return t, true
			}
		}
		return nil, false
	}
	var b strings.Builder
	lt.subject.render(&b, label, fields)
	subject = strings.Join(strings.FieldsFunc(b.String(), func(r rune) bool {
		return r == '\r' || r == '\n' || r == '\t' || r < 0x20 || r == 0x7f
	}), " ")
	b.Reset()
	lt.body.render(&b, label, fields)
	return strings.TrimSpace(subject), b.String()
}
