package database

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestStatements covers how a migration file is cut into statements,
// among them PostgreSQL functions whose bodies have semicolons at the ends
// of lines.
func TestStatements(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"empty", "", nil},
		{"comments only", "-- one\n  -- two\n\n", nil},
		{"one, no final newline", "CREATE TABLE a (x INT);", []string{"CREATE TABLE a (x INT)"}},
		{"two, comment and blank lines dropped", "-- head\nCREATE TABLE a (\n\tx INT -- inline stays\n);\n\n-- between\nCREATE INDEX a_x ON a (x);\n",
			[]string{"CREATE TABLE a (\n\tx INT -- inline stays\n)", "CREATE INDEX a_x ON a (x)"}},
		{"CRLF", "CREATE TABLE a (x INT);\r\nDROP TABLE a;\r\n", []string{"CREATE TABLE a (x INT)", "DROP TABLE a"}},
		{"semicolon inside a line", "INSERT INTO a VALUES (';'); INSERT INTO a VALUES (2);\n", []string{"INSERT INTO a VALUES (';'); INSERT INTO a VALUES (2)"}},
		{"trailing space keeps the statement open", "SELECT 1; \nSELECT 2;\n", []string{"SELECT 1; \nSELECT 2"}},
		{"function body in $$",
			"CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n\t-- a comment;\n\tPERFORM 1;\n\tRETURN NULL;\nEND\n$$;\nCREATE TRIGGER t AFTER INSERT ON a FOR EACH STATEMENT EXECUTE FUNCTION f();\n",
			[]string{"CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n\tPERFORM 1;\n\tRETURN NULL;\nEND\n$$", "CREATE TRIGGER t AFTER INSERT ON a FOR EACH STATEMENT EXECUTE FUNCTION f()"}},
		{"tagged quote holding $$", "DO $body$\nBEGIN\n\tRAISE NOTICE '$$';\nEND\n$body$;\nSELECT 1;\n",
			[]string{"DO $body$\nBEGIN\n\tRAISE NOTICE '$$';\nEND\n$body$", "SELECT 1"}},
		{"quote opened and closed on one line", "SELECT $$a;$$;\nSELECT 2;\n", []string{"SELECT $$a;$$", "SELECT 2"}},
		{"parameters and identifiers are not quotes", "SELECT $1, a$b$ FROM t;\nSELECT 2;\n", []string{"SELECT $1, a$b$ FROM t", "SELECT 2"}},
		{"$$ in a string or comment", "SELECT '$$';\nSELECT 1; -- $$\nSELECT 2;\n", []string{"SELECT '$$'", "SELECT 1; -- $$\nSELECT 2"}},
		{"unclosed quote runs to the end", "DO $$\nBEGIN;\nSELECT 1;\n", []string{"DO $$\nBEGIN;\nSELECT 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, statements(tt.src))
		})
	}
}

// FuzzStatements checks that cutting never panics and never makes up
// text.
func FuzzStatements(f *testing.F) {
	f.Add("CREATE FUNCTION f() AS $x$\nSELECT 1;\n$x$;\nSELECT '$$';\n")
	f.Fuzz(func(t *testing.T, src string) {
		n := 0
		for _, s := range statements(src) {
			n += len(s)
		}
		if n > len(src) {
			t.Fatalf("statements are longer than the source")
		}
	})
}
