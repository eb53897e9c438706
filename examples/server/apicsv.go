package main

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/usher-sdk/usher/directory/csv"
	"github.com/usher-sdk/usher/userstore"
)

// parseFormat reads the format parameter of an import.
func parseFormat(v string) (csv.Format, error) {
	switch v {
	case "", "auto":
		return csv.FormatAuto, nil
	case "notakey":
		return csv.FormatNotakey, nil
	case "puresync":
		return csv.FormatPureSync, nil
	}
	return 0, fmt.Errorf("%w: format: want auto, notakey or puresync", errQuery)
}

// importUsers: POST /api/v1/users/import?format=auto|notakey|puresync
// &skipBadRows=true with the CSV file as the body (at most 16 MiB).
// A file with bad rows is refused whole (400, every bad line named)
// unless skipBadRows is set.
func (a *app) importUsers(w http.ResponseWriter, r *http.Request) {
	format, err := parseFormat(r.URL.Query().Get("format"))
	if err != nil {
		writeStoreError(w, a.logger, r, err)
		return
	}
	skip := false
	if v := r.URL.Query().Get("skipBadRows"); v != "" {
		if skip, err = strconv.ParseBool(v); err != nil {
			writeStoreError(w, a.logger, r, fmt.Errorf("%w: skipBadRows: want true or false", errQuery))
			return
		}
	}
	res, err := a.importCSV(r.Context(), http.MaxBytesReader(w, r.Body, maxImportBytes+1), format, skip)
	if errors.Is(err, errImport) {
		writeError(w, http.StatusBadRequest, codeInvalidInput, err.Error())
		return
	}
	if err != nil {
		writeStoreError(w, a.logger, r, err)
		return
	}
	a.auditAdmin(r, "admin.users_imported", "", map[string]string{
		"created": strconv.Itoa(res.Created), "updated": strconv.Itoa(res.Updated), "failed": strconv.Itoa(len(res.Failed)),
	})
	writeJSON(w, http.StatusOK, res)
}

// exportUsers: GET /api/v1/users/export (the same filters as the list)
// answers text/csv.
func (a *app) exportUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	opts := userstore.ListOptions{Prefix: bounded(q.Get("prefix"), 256), Group: bounded(q.Get("group"), 256), Source: bounded(q.Get("source"), 256)}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="usher-users.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	if err := a.exportCSV(r.Context(), w, opts); err != nil {
		// The status is sent; a cut file is all the client can be told.
		a.logger.ErrorContext(r.Context(), "csv export", "err", err)
		return
	}
	a.auditAdmin(r, "admin.users_exported", "", nil)
}
