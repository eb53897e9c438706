package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/usher-sdk/usher/authrequest/callback"
)

// A callback's auth secret, never shown, comes back on an edit only to the
// same callback at the same receiver.
func TestKeepAuthSecrets(t *testing.T) {
	hdr := func(id, url, value string) callback.Callback {
		return callback.Callback{ID: id, Event: "Any", URL: url, Auth: callback.Auth{Kind: callback.AuthHeader, Header: "Authorization", Value: value}}
	}
	cur := []callback.Callback{hdr("cb_a", "https://a.example/hook", "Bearer A"), hdr("cb_b", "https://b.example/hook", "Bearer B")}
	for _, c := range []struct {
		name string
		next []callback.Callback
		want []string
	}{
		{"both kept", []callback.Callback{hdr("cb_a", "https://a.example/hook", ""), hdr("cb_b", "https://b.example/hook", "")}, []string{"Bearer A", "Bearer B"}},
		{"first removed: B keeps its own", []callback.Callback{hdr("cb_b", "https://b.example/hook", "")}, []string{"Bearer B"}},
		{"reordered", []callback.Callback{hdr("cb_b", "https://b.example/hook", ""), hdr("cb_a", "https://a.example/hook", "")}, []string{"Bearer B", "Bearer A"}},
		{"new receiver: no secret", []callback.Callback{hdr("cb_a", "https://evil.example/hook", "")}, []string{""}},
		{"new callback in the first place: no secret", []callback.Callback{hdr("", "https://a.example/hook", "")}, []string{""}},
		{"a new secret wins", []callback.Callback{hdr("cb_a", "https://a.example/hook", "Bearer new")}, []string{"Bearer new"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			keepAuthSecrets(cur, c.next)
			var got []string
			for _, cb := range c.next {
				got = append(got, cb.Auth.Value)
			}
			assert.Equal(t, c.want, got)
		})
	}
}
