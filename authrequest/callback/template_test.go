package callback

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var hostile = []string{
	"a&b=c", "../x", "..", ".", `"},"admin":true`, "x\r\nInjected: 1",
	"ünïcødé ☃ \u2028", "a/b?c#d", "%2e%2e", "\x00", `\`, "{username}", "+ %20",
}

func TestParse(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"username": "alice", "a": "1", "b_2": "two"}
	tests := []struct {
		name, text, want string
	}{
		{"plain", "hello {username}!", "hello alice!"},
		{"unknown var is empty", "[{nobody}]", "[]"},
		{"escaped brace", "{{username} is {username}", "{username} is alice"},
		{"json braces literal", `{"a":{"b":"{a}"}}`, `{"a":{"b":"1"}}`},
		{"lone braces", "{ } {} {-x} {a", "{ } {} {-x} {a"},
		{"adjacent", "{a}{b_2}{a}", "1two1"},
		{"close brace alone", "}}", "}}"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Expand(tt.text, vars)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseLimits(t *testing.T) {
	t.Parallel()
	_, err := Parse(strings.Repeat("x", MaxTemplate+1))
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = Parse("{" + strings.Repeat("n", MaxName+1) + "}")
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = Parse("{" + strings.Repeat("n", MaxName) + "}")
	assert.NoError(t, err)

	tm, err := Parse("{v}")
	require.NoError(t, err)
	_, err = tm.Expand(map[string]string{"v": strings.Repeat("x", MaxValue+1)})
	assert.ErrorIs(t, err, ErrInvalid, "value too long")

	many, err := Parse(strings.Repeat("{v}", 17))
	require.NoError(t, err)
	_, err = many.Expand(map[string]string{"v": strings.Repeat("x", MaxValue)})
	assert.ErrorIs(t, err, ErrInvalid, "expansion too long")
	_, err = many.Expand(map[string]string{"v": strings.Repeat("x", MaxValue/2)})
	assert.NoError(t, err)
}

func TestNames(t *testing.T) {
	t.Parallel()
	tm, err := Parse("{a} {{b} {c} {a}")
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "c", "a"}, tm.Names())
	assert.True(t, ValidName("user_email"))
	assert.False(t, ValidName("user-email"))
	assert.False(t, ValidName(""))
	assert.False(t, ValidName(strings.Repeat("a", 65)))
	assert.Len(t, Variables(), 21)
}

func TestURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, tmpl, value, want string
	}{
		{"path", "https://h.example/u/{v}/x", "a&b=c", "https://h.example/u/a&b=c/x"},
		{"path slash", "https://h.example/u/{v}/x", "../x", "https://h.example/u/..%2Fx/x"},
		{"path query chars", "https://h.example/u/{v}", "a/b?c#d", "https://h.example/u/a%2Fb%3Fc%23d"},
		{"path unicode", "https://h.example/{v}", "ü ☃", "https://h.example/%C3%BC%20%E2%98%83"},
		{"query", "https://h.example/?u={v}&k=1", "a&b=c", "https://h.example/?u=a%26b%3Dc&k=1"},
		{"query hash", "https://h.example/?u={v}", "x#frag", "https://h.example/?u=x%23frag"},
		{"query crlf", "https://h.example/?u={v}", "x\r\nInjected: 1", "https://h.example/?u=x%0D%0AInjected%3A+1"},
		{"fragment", "https://h.example/p#{v}", "a&b", "https://h.example/p#a%26b"},
		{"query only", "http://127.0.0.1:8080?{v}", "a=b", "http://127.0.0.1:8080?a%3Db"},
		{"path encoded dots", "https://h.example/u/{v}", "%2e%2e", "https://h.example/u/%252e%252e"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tm, err := ParseURL(tt.tmpl)
			require.NoError(t, err)
			got, err := tm.Expand(map[string]string{"v": tt.value})
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			u, err := url.Parse(got)
			require.NoError(t, err)
			assert.Contains(t, []string{"h.example", "127.0.0.1"}, u.Hostname(), "host unchanged")
		})
	}
}

func TestURLDotSegments(t *testing.T) {
	t.Parallel()
	tm, err := ParseURL("https://h.example/a/{v}/b?{v}")
	require.NoError(t, err)
	for _, v := range []string{".", ".."} {
		_, err := tm.Expand(map[string]string{"v": v})
		assert.ErrorIs(t, err, ErrInvalid, v)
	}
	two, err := ParseURL("https://h.example/a/{v}{v}")
	require.NoError(t, err)
	_, err = two.Expand(map[string]string{"v": "."})
	assert.ErrorIs(t, err, ErrInvalid)
	lit, err := ParseURL("https://h.example/a/%2E{v}")
	require.NoError(t, err)
	_, err = lit.Expand(map[string]string{"v": "."})
	assert.ErrorIs(t, err, ErrInvalid)
	ok, err := ParseURL("https://h.example/a/x{v}")
	require.NoError(t, err)
	got, err := ok.Expand(map[string]string{"v": ".."})
	require.NoError(t, err)
	assert.Equal(t, "https://h.example/a/x..", got)
}

func TestURLRefused(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"https://{host}/x", "https://h.example:{port}/", "{scheme}://h.example/",
		"https://user:{pw}@h.example/", "ftp://h.example/", "/relative/{v}", "h.example/x",
		"https:///nohost", "", "https://h.example/a b/{v}", "https://h.example/ü/{v}", "https://h.example/\"{v}",
	} {
		_, err := ParseURL(s)
		assert.ErrorIs(t, err, ErrInvalid, s)
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	tmpl := `{"user":"{v}","raw":{v},"list":["x{v}y"],"n":1}`
	tm, err := ParseJSON(tmpl)
	require.NoError(t, err)
	for _, v := range hostile {
		t.Run(v, func(t *testing.T) {
			got, err := tm.Expand(map[string]string{"v": v})
			require.NoError(t, err)
			var doc struct {
				User string   `json:"user"`
				Raw  string   `json:"raw"`
				List []string `json:"list"`
				N    int      `json:"n"`
			}
			require.NoError(t, json.Unmarshal([]byte(got), &doc), got)
			want := string([]rune(v))
			assert.Equal(t, want, doc.User)
			assert.Equal(t, want, doc.Raw)
			assert.Equal(t, []string{"x" + want + "y"}, doc.List)
			assert.Equal(t, 1, doc.N)
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(got), &m))
			assert.Len(t, m, 4, "no key added")
		})
	}
	_, err = ParseJSON(`{"a":"\{v}"}`)
	assert.ErrorIs(t, err, ErrInvalid, "variable after a backslash")
	tm, err = ParseJSON(`{"a":"\\{v}"}`)
	require.NoError(t, err, "an escaped backslash before a variable is fine")
	got, err := tm.Expand(map[string]string{"v": `"`})
	require.NoError(t, err)
	assert.Equal(t, `{"a":"\\\""}`, got)
}

func TestForm(t *testing.T) {
	t.Parallel()
	tm, err := ParseForm("user={v}&k=1")
	require.NoError(t, err)
	for _, v := range hostile {
		got, err := tm.Expand(map[string]string{"v": v})
		require.NoError(t, err)
		q, err := url.ParseQuery(got)
		require.NoError(t, err)
		assert.Equal(t, url.Values{"user": {v}, "k": {"1"}}, q)
	}
}

func TestHeader(t *testing.T) {
	t.Parallel()
	tm, err := ParseHeader("Bearer {v}")
	require.NoError(t, err)
	for _, v := range []string{"x\r\nInjected: 1", "a\nb", "a\rb", "a\x00b", "\x7f"} {
		_, err := tm.Expand(map[string]string{"v": v})
		assert.ErrorIs(t, err, ErrInvalid, "%q", v)
	}
	got, err := tm.Expand(map[string]string{"v": "ünï\tcode"})
	require.NoError(t, err)
	assert.Equal(t, "Bearer ünï\tcode", got)
	_, err = ParseHeader("a\r\nb: c")
	assert.ErrorIs(t, err, ErrInvalid)
}
