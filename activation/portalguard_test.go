package activation_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/activation"
	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/userstore"
)

// curlRequest is a curl command line of testdata/portalguard_curl.txt with
// what its reply must be.
type curlRequest struct {
	line    int
	args    []string
	status  int
	pattern *regexp.Regexp
}

// needCurl returns the path of the curl binary, or skips the test (fails
// it in CI) when there is none.
func needCurl(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("curl")
	if err == nil {
		return path
	}
	msg := "curl is not on PATH: the PortalGuard replay runs the article's curl requests with the real binary; " +
		"install curl (Debian: apt-get install curl; scripts/testservers.sh does it when run as root)"
	if testenv.InCI() {
		t.Fatal(msg + " (CI=true: missing tools fail the run)")
	}
	t.Skip(msg)
	return ""
}

// curlStatusMark separates the reply body from the status and content
// type that curl writes after it (--write-out).
const curlStatusMark = "\n--usher-curl-status "

// runCurl runs curl with args (the file's, {{URL}} replaced by endpoint)
// and returns the reply's status, content type and body. curl reads no
// configuration file and uses no proxy.
func runCurl(t *testing.T, curl string, args []string, endpoint string) (status int, contentType, body string) {
	t.Helper()
	argv := []string{"-q", "--noproxy", "*", "--max-time", "20", "--show-error",
		"--write-out", curlStatusMark + "%{http_code} %{content_type}"}
	for _, a := range args {
		argv = append(argv, strings.ReplaceAll(a, "{{URL}}", endpoint))
	}
	cmd := exec.CommandContext(t.Context(), curl, argv...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "curl %q: %s", argv, stderr.String())
	i := strings.LastIndex(string(out), curlStatusMark)
	require.GreaterOrEqual(t, i, 0, "curl wrote no status: %q", out)
	trailer := strings.TrimPrefix(string(out[i:]), curlStatusMark)
	code, ctype, _ := strings.Cut(trailer, " ")
	status, err = strconv.Atoi(code)
	require.NoError(t, err, "curl status %q", trailer)
	return status, ctype, string(out[:i])
}

// TestPortalGuardCurlReplay runs the documented batch requests with the
// real curl against the endpoint on 127.0.0.1, in order, and checks every
// reply.
func TestPortalGuardCurlReplay(t *testing.T) {
	curl := needCurl(t)
	reqs := readCurlFile(t, "testdata/portalguard_curl.txt")
	require.NotEmpty(t, reqs)
	onEveryStore(t, func(t *testing.T, store userstore.Store) {
		e := newHTTPEnv(t, store, enabled(activation.Settings{HyphenEvery: 4}))
		srv := httptest.NewServer(e.m.PortalGuardHandler())
		defer srv.Close()
		require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"), srv.URL)
		for _, cr := range reqs {
			status, ctype, body := runCurl(t, curl, cr.args, srv.URL+"/_layouts/PG/register.aspx")
			assert.Equal(t, cr.status, status, "line %d: %s", cr.line, body)
			assert.Regexp(t, cr.pattern, body, "line %d", cr.line)
			assert.Equal(t, "text/xml; charset=utf-8", ctype, "line %d", cr.line)
		}
		// The last code created was deleted afterwards.
		_, err := e.m.Activate(context.Background(), activation.Request{Username: "jdoe", Code: "ABCDEFGHJKLM"})
		require.ErrorIs(t, err, activation.ErrActivationFailed)
		assert.Equal(t, activation.ReasonNoActivationData, lastRefusal(t, store).Reason)
		// The batch admin got no code.
		toks, err := store.UserTokens(context.Background(), "activation", mustUser(t, store, "importer").ID)
		require.NoError(t, err)
		assert.Empty(t, toks, "no request may make a code for the batch admin")
	})
}

func mustUser(t *testing.T, store userstore.Store, username string) userstore.User {
	t.Helper()
	u, err := store.GetUserByUsername(context.Background(), username)
	require.NoError(t, err)
	return u
}

// pgPost sends a batch form to the PortalGuard handler and returns the
// status and reply.
func pgPost(t *testing.T, e *env, form url.Values) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, e.m.PortalGuardHandler(), req)
}

// pgForm is a create request for jdoe by the batch admin, with extra
// fields.
func pgForm(extra url.Values) url.Values {
	form := url.Values{
		"Auth": {"15"}, "BatchAdminUsername": {"importer"}, "BatchAdminPassword": {"admin-secret"},
		"_PG_Login_Field_Username_": {"Username"}, "Username": {"jdoe"}, "ActivationOTP": {"create"},
	}
	for k, v := range extra {
		form[k] = v
	}
	return form
}

// otpOf returns the code of a successful create reply.
func otpOf(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`<otp>([^<]+)</otp>`).FindStringSubmatch(body)
	require.Len(t, m, 2, body)
	return m[1]
}

func TestPortalGuardExtraDataIsStored(t *testing.T) {
	onEveryStore(t, func(t *testing.T, store userstore.Store) {
		e := newHTTPEnv(t, store, enabled(activation.Settings{}))
		status, body := pgPost(t, e, pgForm(url.Values{"BirthDate": {"1990-01-31"}}))
		require.Equal(t, http.StatusOK, status)
		code := otpOf(t, body)

		_, err := e.m.Activate(context.Background(), activation.Request{Username: "jdoe", Code: code})
		require.ErrorIs(t, err, activation.ErrActivationFailed, "the extra data is asked for")
		_, err = e.m.Activate(context.Background(), activation.Request{
			Username: "jdoe", Code: code, Extra: map[string]string{"birthdate": "1990-01-31"},
		})
		require.ErrorIs(t, err, activation.ErrActivationFailed, "PortalGuard's field names are case-sensitive")
		assert.Equal(t, activation.ReasonWrongExtraData, lastRefusal(t, store).Reason)
		_, err = e.m.Activate(context.Background(), activation.Request{
			Username: "jdoe", Code: code, Extra: map[string]string{"BirthDate": " 1990-01-31 "},
		})
		require.NoError(t, err)
	})
}

// TestPortalGuardFieldNamesAreCaseSensitive: Field1 and field1 are two
// fields, as in PortalGuard's article, and activation needs each exactly.
func TestPortalGuardFieldNamesAreCaseSensitive(t *testing.T) {
	onEveryStore(t, func(t *testing.T, store userstore.Store) {
		ctx := context.Background()
		e := newHTTPEnv(t, store, enabled(activation.Settings{}))
		status, body := pgPost(t, e, pgForm(url.Values{"Field1": {"upper"}, "field1": {"lower"}}))
		require.Equal(t, http.StatusOK, status, body)
		code := otpOf(t, body)

		for _, extra := range []map[string]string{
			{"Field1": "lower", "field1": "upper"}, // swapped
			{"field1": "lower"},                    // one missing
			{"FIELD1": "upper", "field1": "lower"}, // another case
		} {
			_, err := e.m.Activate(ctx, activation.Request{Username: "jdoe", Code: code, Extra: extra})
			require.ErrorIs(t, err, activation.ErrActivationFailed, "%v", extra)
			assert.Equal(t, activation.ReasonWrongExtraData, lastRefusal(t, store).Reason, "%v", extra)
		}
		_, err := e.m.Activate(ctx, activation.Request{Username: "jdoe", Code: code,
			Extra: map[string]string{"Field1": "upper", "field1": "lower"}})
		require.NoError(t, err)

		// Codes made with Create still fold the case of names.
		c, err := e.m.Create(ctx, "jdoe", map[string]string{"Field1": "x"})
		require.NoError(t, err)
		_, err = e.m.Activate(ctx, activation.Request{Username: "jdoe", Code: c.Code, Extra: map[string]string{"field1": "x"}})
		require.NoError(t, err)
	})
}

// TestPortalGuardUsernameFieldIsAlwaysUsername: _PG_Login_Field_Username_
// names no other field; pointing it at BatchAdminUsername once made a code
// for the batch admin.
func TestPortalGuardUsernameFieldIsAlwaysUsername(t *testing.T) {
	onEveryStore(t, func(t *testing.T, store userstore.Store) {
		e := newHTTPEnv(t, store, enabled(activation.Settings{}))
		for _, field := range []string{"BatchAdminUsername", "Login", "username", ""} {
			form := pgForm(url.Values{"Login": {"jdoe"}})
			form.Set("_PG_Login_Field_Username_", field)
			status, body := pgPost(t, e, form)
			assert.Equal(t, http.StatusBadRequest, status, "%q: %s", field, body)
			assert.Contains(t, body, "<min_error>1101</min_error>", "%q", field)
			assert.NotContains(t, body, "<otp>", "%q", field)
		}
		toks, err := store.UserTokens(context.Background(), "activation", mustUser(t, store, "importer").ID)
		require.NoError(t, err)
		assert.Empty(t, toks, "no code for the batch admin")
	})
}

func readCurlFile(t *testing.T, path string) []curlRequest {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []curlRequest
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "curl "):
			args, err := shellWords(line)
			require.NoError(t, err, "line %d", n)
			out = append(out, curlRequest{line: n, args: args[1:]})
		case strings.HasPrefix(line, "status "):
			code, err := strconv.Atoi(strings.TrimPrefix(line, "status "))
			require.NoError(t, err, "line %d", n)
			out[len(out)-1].status = code
		case strings.HasPrefix(line, "=> "):
			out[len(out)-1].pattern = regexp.MustCompile(`^` + strings.TrimPrefix(line, "=> ") + `$`)
		}
	}
	require.NoError(t, sc.Err())
	for _, r := range out {
		require.NotNil(t, r.pattern, "line %d has no => line", r.line)
		require.NotZero(t, r.status, "line %d has no status line", r.line)
	}
	return out
}

// shellWords splits a command line as a POSIX shell would for the quoting
// the test file uses: double quotes, single quotes and bare words.
func shellWords(s string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		in    rune
		has   bool
	)
	for _, r := range s {
		switch {
		case in != 0 && r == in:
			in = 0
		case in != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			in, has = r, true
		case r == ' ' || r == '\t':
			if has {
				words = append(words, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if in != 0 {
		return nil, fmt.Errorf("unterminated %c quote", in)
	}
	if has {
		words = append(words, cur.String())
	}
	return words, nil
}
