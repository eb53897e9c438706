package csv

import (
	"bytes"
	"context"
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/hasher"
)

// DefaultMaxBytes is the default of Config.MaxBytes: 64 MiB.
const DefaultMaxBytes = 64 << 20

// Config configures reading. The zero value detects the format, refuses an
// import with bad rows and names the source "csv".
type Config struct {
	// Name is the entries' Source and the Source's Name. Default "csv".
	Name string `json:"name,omitempty"`
	// Path is the file a Source reads. Required by Open, unused by Read.
	Path string `json:"path,omitempty"`
	// Format of the file. Default FormatAuto: detected from the header.
	Format Format `json:"format,omitempty"`
	// SkipBadRows imports the good rows of a file with bad rows and lists
	// the bad ones in Result.Skipped. Default false: any bad row fails the
	// whole import and nothing is returned.
	SkipBadRows bool `json:"skipBadRows,omitempty"`
	// MaxBytes caps the size of the input. Default DefaultMaxBytes.
	MaxBytes int64 `json:"maxBytes,omitempty"`
}

func (c Config) withDefaults() Config {
	if c.Name == "" {
		c.Name = "csv"
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	return c
}

// PasswordHasher is what the reader needs from a hasher registry; a
// *hasher.Registry satisfies it. Implementations must be safe for
// concurrent use.
type PasswordHasher interface {
	// Identify returns the hasher that recognises encoded, or an error.
	Identify(encoded string) (hasher.Hasher, error)
	// Hash hashes password with the default hasher.
	Hash(ctx context.Context, password string) (string, error)
	// Verify checks password against encoded in constant time.
	Verify(ctx context.Context, password, encoded string) (match, rehash bool, err error)
	// Dummy returns a hash to verify against when a user is unknown.
	Dummy(ctx context.Context) (string, error)
}

var _ PasswordHasher = (*hasher.Registry)(nil)

// Option sets a dependency of Read and Open.
type Option func(*options)

type options struct {
	hasher PasswordHasher
	logger *slog.Logger
}

// WithHasher sets the registry that recognises and makes password hashes.
// Without it, a Notakey file with a non-empty Password cell is refused, and
// a Source authenticates nobody.
func WithHasher(h PasswordHasher) Option {
	return func(o *options) { o.hasher = h }
}

// WithLogger sets the logger. Default: discard. Passwords and hashes are
// never logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

func buildOptions(opts []Option) options {
	o := options{logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Result is what an import read.
type Result struct {
	// Format is the format of the file.
	Format Format
	// Entries holds one entry per good row, in file order.
	Entries []directory.Entry
	// Skipped lists the bad rows when Config.SkipBadRows is set.
	Skipped []*RowError
}

// Read reads a whole CSV file. When any row is bad it returns an
// *ImportError listing every bad row and an empty Result, unless
// cfg.SkipBadRows is set. Plain-text passwords are hashed with the
// WithHasher registry; ctx cancels the import between rows.
func Read(ctx context.Context, in io.Reader, cfg Config, opts ...Option) (Result, error) {
	cfg = cfg.withDefaults()
	o := buildOptions(opts)
	data, err := io.ReadAll(io.LimitReader(in, cfg.MaxBytes+1))
	if err != nil {
		return Result{}, fmt.Errorf("csv: reading input: %w", err)
	}
	if int64(len(data)) > cfg.MaxBytes {
		return Result{}, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, cfg.MaxBytes)
	}
	return readBytes(ctx, data, cfg, o)
}

func readBytes(ctx context.Context, data []byte, cfg Config, o options) (Result, error) {
	r := stdcsv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1 // checked here, so the line is reported with our words
	var (
		bad  []*RowError
		res  Result
		h    *header
		seen = map[string]int{} // identity key -> line
	)
	for {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *stdcsv.ParseError
			if errors.As(err, &pe) {
				bad = append(bad, &RowError{Line: pe.StartLine, Reason: "malformed CSV: " + pe.Err.Error(), Err: pe.Err})
				if h == nil {
					break // no header, nothing more to say
				}
				continue
			}
			return Result{}, fmt.Errorf("csv: %w", err)
		}
		line, _ := r.FieldPos(0)
		if h == nil {
			h, err = parseHeader(rec, cfg.Format)
			if err != nil {
				bad = append(bad, &RowError{Line: line, Reason: err.Error(), Err: err})
				break
			}
			res.Format = h.format
			continue
		}
		if allEmpty(rec) {
			continue
		}
		if len(rec) != len(h.names) {
			bad = append(bad, &RowError{Line: line, Reason: fmt.Sprintf("has %d fields, the header has %d", len(rec), len(h.names))})
			continue
		}
		e, rerr := parseRow(ctx, h, rec, o)
		if rerr != nil {
			rerr.Line = line
			bad = append(bad, rerr)
			continue
		}
		e.Source = cfg.Name
		key := identityKey(e)
		if first, dup := seen[key]; dup {
			bad = append(bad, &RowError{Line: line, Reason: fmt.Sprintf("duplicate user %q (first on line %d)", key, first)})
			continue
		}
		seen[key] = line
		res.Entries = append(res.Entries, e)
	}
	if h == nil && len(bad) == 0 {
		bad = append(bad, &RowError{Line: 1, Reason: "empty file: no header", Err: ErrUnknownFormat})
	}
	if len(bad) > 0 {
		if !cfg.SkipBadRows || h == nil {
			return Result{}, &ImportError{Rows: bad}
		}
		res.Skipped = bad
		o.logger.Info("csv: skipped bad rows", "source", cfg.Name, "skipped", len(bad), "imported", len(res.Entries))
	}
	return res, nil
}

func allEmpty(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// identityKey is what must be unique in a file: the login, compared
// without regard to case.
func identityKey(e directory.Entry) string {
	return strings.ToLower(e.Username)
}
