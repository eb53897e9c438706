package authrequest

import "fmt"

// invalid returns an ErrInvalid error with a message for the caller.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}
