package sqlstore

// PGPosition is the SQL of the current transaction's first change-feed
// position on PostgreSQL, for tests that write an event by hand.
var PGPosition = pgPosition
