package sqlstore

// PGPosition is the SQL of the current transaction's first change-feed
// position on PostgreSQL, for tests that write an event by hand.
var PGPosition = pgPosition

// IsForeignKey reports a foreign-key violation of either database, as
// the store maps it to ErrNotFound.
var IsForeignKey = isForeignKey
