package callback

import (
	"testing"
	"time"
)

func benchVars() map[string]string {
	return map[string]string{
		"event": "Approve", "uuid": "0f8fad5b-d9cb-469f-a165-70867728950e",
		"username": "alice", "user_email": "alice@example.com", "user_full_name": "Alice O'Hara",
		"state": "st_8GhZ2", "response_type": "approve", "response_ip": "192.0.2.10",
		"description": "Sign in to \"VPN\" from Riga\nat 10:00", "biometry_check": "true",
	}
}

// A typical JSON body of a callback.
const benchBody = `{"event":"{event}","uuid":"{uuid}","username":"{username}","email":"{user_email}",` +
	`"name":"{user_full_name}","state":"{state}","response":"{response_type}","ip":"{response_ip}",` +
	`"description":"{description}","biometry":{biometry_check}}`

func BenchmarkExpandJSON(b *testing.B) {
	tm, err := ParseJSON(benchBody)
	if err != nil {
		b.Fatal(err)
	}
	vars := benchVars()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tm.Expand(vars); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPrepare(b *testing.B) {
	cb := Callback{Event: "Response", URL: "https://h.example/cb/{uuid}?state={state}", Body: benchBody,
		Headers: map[string]string{"X-User": "{username}"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Prepare(cb); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSign(b *testing.B) {
	secret := newSecret(b)
	tm, err := ParseJSON(benchBody)
	if err != nil {
		b.Fatal(err)
	}
	body, err := tm.Expand(benchVars())
	if err != nil {
		b.Fatal(err)
	}
	ts := time.Now()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Sign([]string{secret}, "msg_2b3Zq", ts, []byte(body)); err != nil {
			b.Fatal(err)
		}
	}
}
