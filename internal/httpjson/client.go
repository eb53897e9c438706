package httpjson

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// APIError is an error answer of an Usher API as a client reads it.
type APIError struct {
	Status  int    // HTTP status
	Code    string // the answer's stable "error" code
	Message string // the answer's "message", for people
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// Do sends body (nil for none) as JSON with method to url and decodes a
// 2xx answer of at most limit bytes into out (nil to ignore it). An error
// answer is an *APIError; other failures are wrapped errors.
func Do(ctx context.Context, hc *http.Client, method, url string, header http.Header, body, out any, limit int64) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if int64(len(data)) > limit {
		return fmt.Errorf("answer over %d bytes", limit)
	}
	if resp.StatusCode/100 != 2 {
		var e ErrorBody
		_ = json.Unmarshal(data, &e)
		return &APIError{Status: resp.StatusCode, Code: e.Error, Message: e.Message}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("answer: %w", err)
	}
	return nil
}
