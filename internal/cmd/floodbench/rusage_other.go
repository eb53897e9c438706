//go:build !unix

package main

// maxRSS is unknown here.
func maxRSS() uint64 { return 0 }
