package memstore

// SetPageSize changes how many records a stream copies out at a time, so
// that tests can cross page boundaries with few records.
func (s *Store) SetPageSize(n int) { s.pageSize = n }
