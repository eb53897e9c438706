// Package csv reads users from CSV files — the PureSync template and the
// Notakey import format — and writes them back out safely.
//
// # Formats
//
// The PureSync template ([FormatPureSync], written by [WriteTemplate]) has
// the columns
//
//	Full Name, Personal Email, Corporate Email, Phone Number, groups, roles
//
// where groups and roles hold comma-separated names (quote the cell). The
// corporate e-mail is the user's login and stable identifier.
//
// The Notakey format ([FormatNotakey]) has the columns
//
//	Username, Full name, Email, Phone, Password, Teams, Enabled
//
// where Teams are separated by "|", and Enabled is true for "true", "t",
// "yes", "y" or "1" (any case) and false for anything else; a file without
// an Enabled column imports enabled users. A Password cell may hold a hash
// that the hasher registry recognises, which is kept as it is, or a plain
// text password, which is hashed with the registry's default at import and
// never kept in plain text (not even in Entry.Raw).
//
// Header names are matched without regard to case or surrounding spaces;
// the format is detected from the header unless Config.Format names it.
// A UTF-8 byte order mark, CRLF line ends and quoted fields are accepted.
//
// # Errors
//
// Every bad row is reported with its line number and reason as a
// [*RowError]; an import with bad rows returns an [*ImportError] holding all
// of them, and no entries, unless Config.SkipBadRows is set, in which case
// the good rows are returned and the bad ones listed in Result.Skipped.
//
// # Spreadsheet safety
//
// [Writer] never writes a cell that a spreadsheet would run as a formula: a
// cell starting with "=", "+", "-", "@", a tab or a carriage return is
// prefixed with a single quote. The reader removes that prefix again, so a
// file written by [Writer] reads back to the same entries.
//
// # As a source
//
// [Open] returns a [Source] over a file, a directory.Source,
// directory.PasswordSource (which refuses everyone without [WithHasher])
// and directory.ChangeSource: it rereads the file when it changes, and its
// change cursor is the SHA-256 of the file's content, so a changed file
// yields all of its entries.
package csv
