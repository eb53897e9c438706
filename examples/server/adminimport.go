package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/usher-sdk/usher/directory/csv"
)

// importForm takes the users page's CSV upload. The form's fields come
// before its file (the page puts them there), so the file streams into
// the import without being kept in memory or on disk.
func (a *app) importForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxImportBytes+maxFormBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		a.renderUsers(w, r, http.StatusBadRequest, "", "Choose a CSV file to import.")
		return
	}
	format, skip := csv.FormatAuto, false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			a.renderUsers(w, r, http.StatusBadRequest, "", "Choose a CSV file to import.")
			return
		}
		if err != nil {
			a.renderUsers(w, r, http.StatusBadRequest, "", "The upload could not be read.")
			return
		}
		switch part.FormName() {
		case "format", "skipBadRows":
			b, _ := io.ReadAll(io.LimitReader(part, 64))
			v := strings.TrimSpace(string(b))
			if part.FormName() == "format" {
				if format, err = parseFormat(v); err != nil {
					a.renderUsers(w, r, http.StatusBadRequest, "", "Choose a format from the list.")
					return
				}
			} else {
				skip, _ = strconv.ParseBool(v)
			}
			continue
		case "file":
		default:
			continue
		}
		res, err := a.importCSV(r.Context(), part, format, skip)
		if errors.Is(err, errImport) {
			a.renderUsers(w, r, http.StatusBadRequest, "", "Nothing imported: "+strings.TrimPrefix(err.Error(), "import: "))
			return
		}
		if err != nil {
			a.pageError(w, r, err)
			return
		}
		a.auditAdmin(r, "admin.users_imported", "", map[string]string{
			"created": strconv.Itoa(res.Created), "updated": strconv.Itoa(res.Updated), "failed": strconv.Itoa(len(res.Failed)),
		})
		notice := fmt.Sprintf("Imported (%s): %d created, %d updated, %d unchanged.", res.Format, res.Created, res.Updated, res.Unchanged)
		var problems []string
		for _, s := range res.Skipped {
			problems = append(problems, fmt.Sprintf("line %d skipped: %s", s.Line, s.Reason))
		}
		for _, f := range res.Failed {
			problems = append(problems, fmt.Sprintf("%s not stored: %s", f.Username, f.Reason))
		}
		if len(problems) > 10 {
			problems = append(problems[:10], fmt.Sprintf("and %d more", len(problems)-10))
		}
		a.renderUsers(w, r, http.StatusOK, notice, strings.Join(problems, "; "))
		return
	}
}
