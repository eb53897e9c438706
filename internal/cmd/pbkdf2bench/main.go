// Command pbkdf2bench compares Usher's PBKDF2-HMAC-SHA512 with OpenSSL's.
//
// It derives the same key from the same password and salt with
// internal/pbkdf2.Key (the code path of Usher's PBKDF2-based hashers) and with
// `openssl kdf ... PBKDF2`, checks that the keys are equal, and prints the
// times and their ratio. It runs each side -runs times, alternating, and
// compares the fastest runs, which are the least disturbed by other load.
//
// OpenSSL runs as a separate process, so its times include starting it;
// the program measures that start-up with -iter 1 and also prints the
// ratio with it subtracted.
//
// Usage:
//
//	go run ./internal/cmd/pbkdf2bench [-iter 1000000] [-runs 5] [-openssl openssl]
//
// It exits with status 1 when the keys differ or openssl fails. The goal,
// recorded in hasher/BENCHMARKS.md, is a ratio of at most 1.15.
package main

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/usher-sdk/usher/internal/pbkdf2"
)

// goal is the ratio Usher/OpenSSL the issue asks for.
const goal = 1.15

func main() {
	iter := flag.Int("iter", 1_000_000, "PBKDF2 iteration count")
	runs := flag.Int("runs", 5, "runs of each implementation")
	keyLen := flag.Int("keylen", 64, "derived key length in bytes")
	password := flag.String("password", "correct horse battery staple", "password (printable ASCII)")
	salt := flag.String("salt", "usher-pbkdf2-salt", "salt (printable ASCII)")
	opensslPath := flag.String("openssl", "openssl", "openssl binary")
	flag.Parse()

	if err := run(os.Stdout, config{
		iter: *iter, runs: *runs, keyLen: *keyLen,
		password: *password, salt: *salt, openssl: *opensslPath,
	}); err != nil {
		fmt.Fprintln(os.Stderr, "pbkdf2bench:", err)
		os.Exit(1)
	}
}

type config struct {
	iter, runs, keyLen int
	password, salt     string
	openssl            string
}

func run(w *os.File, c config) error {
	if c.iter < 1 || c.runs < 1 || c.keyLen < 1 {
		return errors.New("-iter, -runs and -keylen must be positive")
	}
	ctx := context.Background()
	version, err := exec.Command(c.openssl, "version").Output()
	if err != nil {
		return fmt.Errorf("openssl version: %w", err)
	}
	fmt.Fprintf(w, "PBKDF2-HMAC-SHA512, %d iterations, %d-byte key, %d runs each\n", c.iter, c.keyLen, c.runs)
	fmt.Fprintf(w, "Go %s %s/%s, %d CPUs; %s", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), version)

	// OpenSSL's process start-up, measured with one iteration.
	var startup []time.Duration
	for range c.runs {
		_, d, err := opensslKey(c, 1)
		if err != nil {
			return err
		}
		startup = append(startup, d)
	}

	var usherTimes, opensslTimes []time.Duration
	for i := range c.runs {
		start := time.Now()
		got, err := pbkdf2.Key(ctx, sha512.New, c.password, []byte(c.salt), c.iter, c.keyLen)
		if err != nil {
			return err
		}
		usherTimes = append(usherTimes, time.Since(start))

		want, d, err := opensslKey(c, c.iter)
		if err != nil {
			return err
		}
		opensslTimes = append(opensslTimes, d)
		if !bytes.Equal(got, want) {
			return fmt.Errorf("run %d: keys differ:\n usher   %x\n openssl %x", i+1, got, want)
		}
		if i == 0 {
			fmt.Fprintf(w, "key (equal in every run): %x\n", got)
		}
	}

	u, o, s := slices.Min(usherTimes), slices.Min(opensslTimes), slices.Min(startup)
	ratio := u.Seconds() / o.Seconds()
	fmt.Fprintf(w, "usher   fastest %v  median %v\n", u.Round(time.Millisecond), median(usherTimes).Round(time.Millisecond))
	fmt.Fprintf(w, "openssl fastest %v  median %v  (process start-up %v)\n", o.Round(time.Millisecond), median(opensslTimes).Round(time.Millisecond), s.Round(time.Millisecond))
	fmt.Fprintf(w, "ratio usher/openssl %.3f (fastest runs)\n", ratio)
	if o > s {
		fmt.Fprintf(w, "ratio usher/openssl %.3f (openssl start-up subtracted)\n", u.Seconds()/(o-s).Seconds())
	}
	verdict := "met"
	if ratio > goal {
		verdict = "NOT met"
	}
	fmt.Fprintf(w, "goal <= %.2f: %s\n", goal, verdict)
	return nil
}

// opensslKey runs openssl kdf with iter iterations and returns the key and
// the wall time of the process.
func opensslKey(c config, iter int) ([]byte, time.Duration, error) {
	cmd := exec.Command(c.openssl, "kdf",
		"-keylen", strconv.Itoa(c.keyLen),
		"-kdfopt", "digest:SHA512",
		"-kdfopt", "pass:"+c.password,
		"-kdfopt", "salt:"+c.salt,
		"-kdfopt", "iter:"+strconv.Itoa(iter),
		"PBKDF2")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	d := time.Since(start)
	if err != nil {
		return nil, 0, fmt.Errorf("openssl kdf: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	// openssl prints the key as colon-separated hex bytes.
	key, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(string(out)), ":", ""))
	if err != nil {
		return nil, 0, fmt.Errorf("openssl kdf output %q: %w", out, err)
	}
	return key, d, nil
}

// median returns the median of ds.
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
