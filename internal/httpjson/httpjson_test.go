package httpjson_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/usher-sdk/usher/internal/httpjson"
)

func TestError(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	httpjson.Error(rec, http.StatusTeapot, "teapot", "short and stout")
	assert.Equal(t, http.StatusTeapot, rec.Code)
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	assert.JSONEq(t, `{"error":"teapot","message":"short and stout"}`, rec.Body.String())
}
