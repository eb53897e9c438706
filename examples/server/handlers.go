package main

import (
	"encoding/json"
	"net/http"
)

// newMux returns the server's routes.
func newMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", handleHealth)
	mux.HandleFunc("GET /{$}", handleIndex)
	return mux
}

func handleHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
}

const indexPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Usher</title></head>
<body>
<h1>Usher reference server</h1>
<p>This server wires Usher's packages together. Today it answers
<a href="/healthz">/healthz</a>. It grows, package by package, into an HTTP API
and an admin page for users and passwords, directory sync, device onboarding,
activation codes and push sign-in approvals.</p>
</body></html>
`

func handleIndex(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(indexPage))
}
