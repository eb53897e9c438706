package csv_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/usher-sdk/usher/directory/csv"
)

func Example() {
	file := "Username,Full name,Email,Phone,Password,Teams,Enabled\r\n" +
		"ada,Ada Lovelace,ada@example.test,+44 20 7946 0000,,engineering|admins,yes\r\n" +
		"bob,Bob,not-an-email,,,,no\r\n"

	// By default one bad row fails the whole import, and every bad row is
	// reported with its line.
	_, err := csv.Read(context.Background(), strings.NewReader(file), csv.Config{})
	fmt.Println(err)

	// SkipBadRows imports the good rows.
	res, err := csv.Read(context.Background(), strings.NewReader(file), csv.Config{SkipBadRows: true})
	if err != nil {
		panic(err)
	}
	for _, e := range res.Entries {
		fmt.Println(res.Format, e.Username, e.FullName, e.Groups, e.Enabled)
	}
	fmt.Println("skipped line", res.Skipped[0].Line)
	// Output:
	// csv: 1 bad row(s); line 3: "Email" is not an e-mail address: "not-an-email"
	// notakey ada Ada Lovelace [engineering admins] true
	// skipped line 3
}

func ExampleWriter() {
	var out strings.Builder
	w := csv.NewWriter(&out, csv.FormatPureSync)
	res, _ := csv.Read(context.Background(), strings.NewReader(
		"Full Name,Corporate Email,Phone Number\n\"'=HYPERLINK(\"\"http://evil.test\"\")\",eve@example.test,'+1 555 0100\n"), csv.Config{})
	for _, e := range res.Entries {
		_ = w.Write(e)
	}
	_ = w.Flush()
	fmt.Print(strings.ReplaceAll(out.String(), "\r\n", "\n")) // the Writer ends lines in CRLF
	// Output:
	// Full Name,Personal Email,Corporate Email,Phone Number,groups,roles
	// "'=HYPERLINK(""http://evil.test"")",,eve@example.test,'+1 555 0100,,
}

func ExampleSafeCell() {
	for _, cell := range []string{"Ada", "=1+1", "-2", "@SUM(A1)"} {
		fmt.Println(csv.SafeCell(cell))
	}
	// Output:
	// Ada
	// '=1+1
	// '-2
	// '@SUM(A1)
}

func ExampleWriteTemplate() {
	_ = csv.WriteTemplate(os.Stdout)
	// Output:
	// Full Name,Personal Email,Corporate Email,Phone Number,groups,roles
}

func ExampleSource_Changes() {
	dir, err := os.MkdirTemp("", "usher-csv")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(path, []byte("Username,Full name\nada,Ada Lovelace\nbob,Bob\n"), 0o600); err != nil {
		panic(err)
	}
	src, err := csv.Open(csv.Config{Path: path})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	// Apply each entry, then keep the cursor of the element: the last one
	// has no entry and carries the cursor for next time. A loop that stops
	// early keeps a cursor that gives the unread entries again.
	step := func(saved string) string {
		cursor := saved
		for c, err := range src.Changes(ctx, saved) {
			if err != nil {
				panic(err)
			}
			if c.Entry != nil {
				fmt.Println("apply", c.Entry.Username)
			}
			cursor = c.Cursor
		}
		return cursor
	}
	cursor := step("")
	fmt.Println(strings.HasPrefix(cursor, "sha256:"))
	fmt.Println(step(cursor) == cursor, "(nothing changed)")
	// Output:
	// apply ada
	// apply bob
	// true
	// true (nothing changed)
}
