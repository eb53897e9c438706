package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/csv"
	"github.com/usher-sdk/usher/directory/graph"
	"github.com/usher-sdk/usher/directory/ldap"
)

// openSource opens the configured source. The returned function releases
// it (LDAP connections).
func (a *app) openSource(c *Config, log *slog.Logger) (directory.Source, func(), error) {
	noop := func() {}
	switch c.Source.Type {
	case "csv":
		f, err := csvFormat(c.Source.CSV.Format)
		if err != nil {
			return nil, noop, fmt.Errorf("setting %q: %w", "source.csv.format", err)
		}
		s, err := csv.Open(csv.Config{
			Name: c.Source.CSV.Name, Path: c.Source.CSV.Path, Format: f, SkipBadRows: c.Source.CSV.SkipBadRows,
		}, csv.WithLogger(log))
		if err != nil {
			return nil, noop, fmt.Errorf("setting \"source.csv\": %w", err)
		}
		return s, noop, nil
	case "ldap":
		s, err := ldap.New(*c.Source.LDAP, ldap.WithLogger(log))
		if err != nil {
			return nil, noop, fmt.Errorf("setting \"source.ldap\": %w", err)
		}
		return s, func() { _ = s.Close() }, nil
	case "graph":
		s, err := graph.New(*c.Source.Graph, graph.WithLogger(log), graph.WithHTTPClient(a.httpClient))
		if err != nil {
			return nil, noop, fmt.Errorf("setting \"source.graph\": %w", err)
		}
		return s, noop, nil
	}
	return nil, noop, fmt.Errorf("setting %q: unknown source type %q (want csv, ldap or graph)", "source.type", c.Source.Type)
}

// csvFormat reads a format setting.
func csvFormat(s string) (csv.Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return csv.FormatAuto, nil
	case "puresync":
		return csv.FormatPureSync, nil
	case "notakey":
		return csv.FormatNotakey, nil
	}
	return 0, fmt.Errorf("unknown CSV format %q (want auto, puresync or notakey)", s)
}
