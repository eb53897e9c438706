package main

import (
	"bytes"
	stdcsv "encoding/csv"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const notakeyFile = "Username,Full name,Email,Phone,Password,Teams,Enabled\r\n" +
	"ada,Ada Lovelace,ada@example.test,+44 20 7946 0000,first-password-123,engineering|admins,yes\r\n" +
	"bob,\"=HYPERLINK(\"\"http://evil.test\"\")\",bob@example.test,,,,no\r\n"

func TestImportExportAPI(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tok := ts.token(scopeUsersRead, scopeUsersWrite)

	r := ts.api(tok, "POST", "/api/v1/users/import", notakeyFile)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.JSONEq(t, `{"format":"notakey","created":2,"updated":0,"unchanged":0,"failed":[],"skipped":[]}`, r.Body)

	ada, err := ts.app.users.GetUserByUsername(t.Context(), "ada")
	require.NoError(t, err)
	assert.Equal(t, "Ada Lovelace", ada.DisplayName)
	assert.Equal(t, []string{"admins", "engineering"}, ada.Groups)
	assert.NotContains(t, ada.PasswordHash, "first-password", "hashed, never kept in plain text")
	bob, err := ts.app.users.GetUserByUsername(t.Context(), "bob")
	require.NoError(t, err)
	assert.False(t, bob.Enabled)

	// The same file again changes nothing; an existing username is updated.
	r = ts.api(tok, "POST", "/api/v1/users/import", "Username,Full name,Email,Phone,Password,Teams,Enabled\r\n"+
		"ada,Ada Lovelace,ada@example.test,+44 20 7946 0000,,engineering|admins,yes\r\n"+
		"bob,Bob,bob@example.test,,,ops,yes\r\n")
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.JSONEq(t, `{"format":"notakey","created":0,"updated":1,"unchanged":1,"failed":[],"skipped":[]}`, r.Body)
	bob, err = ts.app.users.GetUserByUsername(t.Context(), "bob")
	require.NoError(t, err)
	assert.True(t, bob.Enabled)
	assert.Equal(t, []string{"ops"}, bob.Groups)

	// A bad row refuses the whole file and names its line.
	r = ts.api(tok, "POST", "/api/v1/users/import", "Username,Full name,Email\r\ncarol,Carol,not-an-email\r\n")
	assert.Equal(t, http.StatusBadRequest, r.StatusCode)
	assert.Contains(t, r.Body, "line 2")
	_, err = ts.app.users.GetUserByUsername(t.Context(), "carol")
	assert.Error(t, err, "nothing imported")

	// PureSync template: the corporate e-mail is the username.
	r = ts.api(tok, "POST", "/api/v1/users/import?format=puresync", "Full Name,Personal Email,Corporate Email,Phone Number,groups,roles\r\nDan,,dan@example.test,,\"sales,emea\",\r\n")
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	_, err = ts.app.users.GetUserByUsername(t.Context(), "dan@example.test")
	require.NoError(t, err)

	assert.Equal(t, http.StatusBadRequest, ts.api(tok, "POST", "/api/v1/users/import?format=xlsx", "").StatusCode)

	// Export: every user, cells safe for spreadsheets.
	r = ts.api(tok, "GET", "/api/v1/users/export", nil)
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Equal(t, "text/csv; charset=utf-8", r.Header.Get("Content-Type"))
	recs, err := stdcsv.NewReader(strings.NewReader(r.Body)).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 4)
	assert.Equal(t, exportColumns, recs[0])
	byName := map[string][]string{}
	for _, rec := range recs[1:] {
		byName[rec[0]] = rec
	}
	assert.Equal(t, "admins|engineering", byName["ada"][6])
	assert.Equal(t, "true", byName["ada"][3])

	// A formula in a name is written inert.
	require.Equal(t, http.StatusOK, ts.api(tok, "POST", "/api/v1/users/import", "Username,Full name\r\neve,=1+1\r\n").StatusCode)
	r = ts.api(tok, "GET", "/api/v1/users/export?prefix=eve", nil)
	assert.Contains(t, r.Body, "eve,'=1+1,")
}

func TestImportOnTheAdminPage(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := ts.signIn()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	require.NoError(t, mw.WriteField("format", "notakey"))
	fw, err := mw.CreateFormFile("file", "users.csv")
	require.NoError(t, err)
	_, _ = fw.Write([]byte(notakeyFile))
	require.NoError(t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, ts.srv.URL+"/admin/users/import", &body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	r := ts.do(c, req)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, "Imported (notakey): 2 created, 0 updated, 0 unchanged.")

	r = ts.get(c, "/admin/users/export")
	assert.Equal(t, http.StatusOK, r.StatusCode)
	assert.Contains(t, r.Body, "ada,Ada Lovelace,")
}
