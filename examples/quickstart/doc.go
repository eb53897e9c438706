// Package quickstart holds the test that runs the quick start of the
// repository's README.md as written: the shell script between the markers
// <!-- quickstart:begin --> and <!-- quickstart:end -->, with bash, from the
// repository's root, its files in a temporary folder. It has no API.
package quickstart
