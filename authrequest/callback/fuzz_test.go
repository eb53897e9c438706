package callback

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// varsOf gives every variable of t the value v.
func varsOf(t *Template, v string) map[string]string {
	vars := map[string]string{}
	for _, n := range t.Names() {
		vars[n] = v
	}
	return vars
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"hello {username}", "{{a}", "{", "}", "{a}{b}", `{"a":"{b}"}`, "{" + strings.Repeat("a", 65) + "}"} {
		f.Add(s, "value")
	}
	f.Fuzz(func(t *testing.T, text, v string) {
		tm, err := Parse(text)
		if err != nil {
			return
		}
		empty, err := tm.Expand(nil)
		if err != nil {
			t.Fatalf("expand without values: %v", err)
		}
		if len(empty) > len(text) {
			t.Fatalf("expansion without values longer than the template: %q -> %q", text, empty)
		}
		got, err := tm.Expand(varsOf(tm, v))
		if err != nil {
			return
		}
		if want := len(empty) + len(tm.Names())*len(v); len(got) != want {
			t.Fatalf("plain expansion of %q is %d bytes, want %d", text, len(got), want)
		}
	})
}

func FuzzURL(f *testing.F) {
	for _, s := range [][2]string{
		{"https://h.example/u/{v}/x?s={v}&k=1#{v}", "../x"},
		{"http://127.0.0.1:8080/{v}", "a/b?c#d"},
		{"https://h.example?{v}", "a&b=c"},
		{"https://h.example/a/{v}{v}", "."},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, tmpl, v string) {
		tm, err := ParseURL(tmpl)
		if err != nil {
			return
		}
		want, err := url.Parse(tm.sample())
		if err != nil {
			t.Fatalf("sample of an accepted template does not parse: %v", err)
		}
		out, err := tm.Expand(varsOf(tm, v))
		if err != nil {
			return
		}
		got, err := url.Parse(out)
		if err != nil {
			t.Fatalf("expansion %q does not parse: %v", out, err)
		}
		if got.Scheme != want.Scheme || got.Host != want.Host || got.User.String() != want.User.String() {
			t.Fatalf("value %q changed where %q goes: %q", v, tmpl, out)
		}
		if strings.Count(got.EscapedPath(), "/") != strings.Count(want.EscapedPath(), "/") {
			t.Fatalf("value %q changed the path segments of %q: %q", v, tmpl, out)
		}
		wantSegs := strings.Split(want.EscapedPath(), "/")
		for i, seg := range strings.Split(got.EscapedPath(), "/") {
			s, _ := url.PathUnescape(seg)
			w, _ := url.PathUnescape(wantSegs[i])
			if (s == "." || s == "..") && s != w {
				t.Fatalf("value %q made a dot segment in %q: %q", v, tmpl, out)
			}
		}
		if strings.Count(got.RawQuery, "&") != strings.Count(want.RawQuery, "&") ||
			strings.Count(got.RawQuery, "=") != strings.Count(want.RawQuery, "=") ||
			(got.Fragment == "") != (want.Fragment == "") && v != "" {
			t.Fatalf("value %q changed the query of %q: %q", v, tmpl, out)
		}
	})
}

func FuzzJSON(f *testing.F) {
	for _, s := range [][2]string{
		{`{"user":"{v}","raw":{v}}`, `"},"admin":true`},
		{`["{v}", {v}, "a\\{v}"]`, "\\"},
		{`{"a":"x{v}y"}`, "\u2028\x00\xff"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, tmpl, v string) {
		tm, err := ParseJSON(tmpl)
		if err != nil || !json.Valid([]byte(tm.sample())) {
			return
		}
		out, err := tm.Expand(varsOf(tm, v))
		if err != nil {
			return
		}
		if !json.Valid([]byte(out)) {
			t.Fatalf("template %q with value %q expands to invalid JSON %q", tmpl, v, out)
		}
	})
}

func FuzzJSONEscape(f *testing.F) {
	for _, s := range []string{"", `"`, "\\", "\x00\x1f\x7f", "\xff\xfe", "\u2028", "ünï☃"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		var got string
		if err := json.Unmarshal([]byte(jsonEscape(v, true)), &got); err != nil {
			t.Fatalf("escape of %q: %v", v, err)
		}
		if want := string([]rune(v)); got != want {
			t.Fatalf("escape of %q reads back as %q", v, got)
		}
	})
}

func FuzzForm(f *testing.F) {
	for _, s := range []string{"a&b=c", "+ %20", "x\r\n", "ü"} {
		f.Add(s)
	}
	tm, err := ParseForm("user={v}&k=1")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v string) {
		out, err := tm.Expand(map[string]string{"v": v})
		if err != nil {
			return
		}
		q, err := url.ParseQuery(out)
		if err != nil || len(q) != 2 || q.Get("user") != v || q.Get("k") != "1" {
			t.Fatalf("value %q: form %q reads back as %v (%v)", v, out, q, err)
		}
	})
}

func FuzzHeader(f *testing.F) {
	for _, s := range [][2]string{{"Bearer {v}", "x\r\nInjected: 1"}, {"{v}", "\x00"}, {"a {v} b", "ü\t"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, tmpl, v string) {
		tm, err := ParseHeader(tmpl)
		if err != nil {
			return
		}
		out, err := tm.Expand(varsOf(tm, v))
		if err != nil {
			return
		}
		if strings.ContainsAny(out, "\r\n\x00") {
			t.Fatalf("header %q with value %q expands to %q", tmpl, v, out)
		}
	})
}
