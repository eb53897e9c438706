//go:build !linux

package main

import "errors"

// memAvailableMiB is unknown here.
func memAvailableMiB() (int, error) {
	return 0, errors.New("available memory is unknown on this system")
}
