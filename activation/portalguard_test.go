package activation_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/activation"
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

// TestPortalGuardCurlReplay sends the documented batch requests, as curl
// would, to the endpoint over real HTTP, in order, and checks every reply.
func TestPortalGuardCurlReplay(t *testing.T) {
	reqs := readCurlFile(t, "testdata/portalguard_curl.txt")
	require.NotEmpty(t, reqs)
	onEveryStore(t, func(t *testing.T, store userstore.Store) {
		e := newHTTPEnv(t, store, enabled(activation.Settings{HyphenEvery: 4}))
		srv := httptest.NewServer(e.m.PortalGuardHandler())
		defer srv.Close()
		for _, cr := range reqs {
			req, err := curlToRequest(cr.args, srv.URL+"/_layouts/PG/register.aspx")
			require.NoError(t, err, "line %d", cr.line)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err, "line %d", cr.line)
			body, err := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			require.NoError(t, err)
			assert.Equal(t, cr.status, resp.StatusCode, "line %d: %s", cr.line, body)
			assert.Regexp(t, cr.pattern, string(body), "line %d", cr.line)
			assert.Equal(t, "text/xml; charset=utf-8", resp.Header.Get("Content-Type"))
		}
		// The code of the last create was the one with extra data and a
		// custom username field; it was deleted afterwards.
		_, err := e.m.Activate(context.Background(), activation.Request{Username: "jdoe", Code: "ABCDEFGHJKLM"})
		require.ErrorIs(t, err, activation.ErrActivationFailed)
		assert.Equal(t, activation.ReasonNoActivationData, lastRefusal(t, store).Reason)
	})
}

func TestPortalGuardExtraDataIsStored(t *testing.T) {
	onEveryStore(t, func(t *testing.T, store userstore.Store) {
		e := newHTTPEnv(t, store, enabled(activation.Settings{}))
		form := url.Values{
			"Auth": {"15"}, "BatchAdminUsername": {"importer"}, "BatchAdminPassword": {"admin-secret"},
			"_PG_Login_Field_Username_": {"Username"}, "Username": {"jdoe"}, "ActivationOTP": {"create"},
			"BirthDate": {"1990-01-31"},
		}
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		status, body := do(t, e.m.PortalGuardHandler(), req)
		require.Equal(t, http.StatusOK, status)
		m := regexp.MustCompile(`<otp>([^<]+)</otp>`).FindStringSubmatch(body)
		require.Len(t, m, 2, body)

		_, err := e.m.Activate(context.Background(), activation.Request{Username: "jdoe", Code: m[1]})
		require.ErrorIs(t, err, activation.ErrActivationFailed, "the extra data is asked for")
		_, err = e.m.Activate(context.Background(), activation.Request{
			Username: "jdoe", Code: m[1], Extra: map[string]string{"birthdate": "1990-01-31"},
		})
		require.NoError(t, err)
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

// curlToRequest builds the request curl would send for the options the
// test file uses: -s, -X, -G, -d/--data and --data-urlencode.
func curlToRequest(args []string, endpoint string) (*http.Request, error) {
	var (
		method string
		get    bool
		data   []string
		target string
	)
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value", a)
			}
			i++
			return args[i], nil
		}
		switch a {
		case "-s":
		case "-G":
			get = true
		case "-X":
			v, err := next()
			if err != nil {
				return nil, err
			}
			method = v
		case "-d", "--data":
			v, err := next()
			if err != nil {
				return nil, err
			}
			data = append(data, v)
		case "--data-urlencode":
			v, err := next()
			if err != nil {
				return nil, err
			}
			name, value, _ := strings.Cut(v, "=")
			data = append(data, name+"="+url.QueryEscape(value))
		default:
			if strings.HasPrefix(a, "-") {
				return nil, fmt.Errorf("unsupported curl option %s", a)
			}
			target = strings.ReplaceAll(a, "{{URL}}", endpoint)
		}
	}
	body := strings.Join(data, "&")
	if get {
		return http.NewRequest(http.MethodGet, target+"?"+body, nil)
	}
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}
