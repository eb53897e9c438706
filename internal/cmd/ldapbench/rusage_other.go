//go:build !unix

package main

import "time"

// maxRSS is unknown here.
func maxRSS() uint64 { return 0 }

// selfCPU is unknown here.
func selfCPU() time.Duration { return 0 }
