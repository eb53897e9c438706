// Package httpjson writes Usher's one JSON shape of HTTP answers, which
// every package's handlers share: a value, or an error
// {"error": code, "message": text} with a stable code for programs and a
// message for people. Answers are never cached.
package httpjson

import (
	"encoding/json"
	"net/http"
)

// ErrorBody is the JSON of an error answer.
type ErrorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// Write answers status with v as JSON.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Error answers status with the error code and message.
func Error(w http.ResponseWriter, status int, code, message string) {
	Write(w, status, ErrorBody{Error: code, Message: message})
}
