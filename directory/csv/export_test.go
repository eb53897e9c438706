package csv

// For the tests of package csv_test.
var (
	Neutralize = neutralize
	Columns    = columns
)
