package callback_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/usher-sdk/usher/authrequest/callback"
)

// A profile's Approve callback, signed with the profile's secret, sent to
// a receiver that checks the signature's headers and reads the body.
func Example() {
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Println(r.Method, r.URL.RequestURI())
		fmt.Println("webhook-id:", r.Header.Get("webhook-id"))
		fmt.Println("signed:", strings.HasPrefix(r.Header.Get("webhook-signature"), "v1,"))
		fmt.Println(string(body))
	}))
	defer receiver.Close()

	secret, err := callback.NewSecret(nil)
	if err != nil {
		panic(err)
	}
	cb := callback.Callback{
		Event: "Approve",
		URL:   receiver.URL + "/users/{username}/approved?state={state}",
		Body:  `{"event":"{event}","user":"{username}","state":"{state}"}`,
	}
	if err := cb.Validate(); err != nil {
		panic(err)
	}
	res, err := callback.New().Do(context.Background(), cb, callback.Message{
		ID:      "msg_2b3Zq",
		Vars:    map[string]string{"event": "Approve", "username": "o'hara/admin", "state": `a&b="c"`},
		Secrets: []string{secret},
	})
	fmt.Println(res.StatusCode, err, callback.IsPermanent(err))
	// Output:
	// POST /users/o%27hara%2Fadmin/approved?state=a%26b%3D%22c%22
	// webhook-id: msg_2b3Zq
	// signed: true
	// {"event":"Approve","user":"o'hara/admin","state":"a&b=\"c\""}
	// 200 <nil> false
}

// Action and description of a request are plain text: values go in as
// they are.
func ExampleExpand() {
	s, err := callback.Expand("Sign in to {app} as {username}? {{not a variable}", map[string]string{
		"app": "VPN", "username": "alice",
	})
	fmt.Println(s, err)
	// Output: Sign in to VPN as alice? {not a variable} <nil>
}
