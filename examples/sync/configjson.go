package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// decodeConfig decodes a configuration file strictly: unknown settings,
// a key given twice in one object and anything after the top-level object
// are refused, and every error says where in the file it is ("line 3,
// column 14"), since the file is written by hand as often as by init.
func decodeConfig(data []byte) (*Config, error) {
	if err := checkDuplicateKeys(data); err != nil {
		return nil, err
	}
	var c Config
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, positioned(data, dec.InputOffset(), err)
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		rest := data[end:]
		at := end + int64(len(rest)-len(bytes.TrimLeft(rest, " \t\r\n")))
		return nil, fmt.Errorf("%s: unexpected data after the configuration object", where(data, at))
	}
	return &c, nil
}

// positioned adds the position to a decoding error: the error's own
// offset where it has one, else the decoder's.
func positioned(data []byte, at int64, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		at = syn.Offset - 1 // Offset counts the bad byte
	case errors.As(err, &typ):
		at = typ.Offset
		if typ.Field != "" {
			return fmt.Errorf("%s: setting %q: want a JSON %s, not %s", where(data, at), typ.Field, typ.Type, typ.Value)
		}
	case errors.Is(err, io.EOF):
		return errors.New("the file is empty; it must hold one JSON object")
	}
	// encoding/json names an unknown field as `json: unknown field "x"`
	// and stops at the end of the object: point at the key instead.
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if name, ok := strings.CutPrefix(msg, "unknown field "); ok {
		if i := bytes.Index(data, []byte(name)); i >= 0 {
			at = int64(i)
		}
	}
	return fmt.Errorf("%s: %s", where(data, at), msg)
}

// where turns a byte offset of data into "line L, column C" (1-based).
func where(data []byte, off int64) string {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return "line " + strconv.Itoa(line) + ", column " + strconv.Itoa(col)
}

// checkDuplicateKeys walks data's tokens and refuses a key that stands
// twice in one object (encoding/json keeps the last silently, so a second
// "bindPassword" would win without a word). Syntax errors are left to the
// decoder, which reports them with their position.
func checkDuplicateKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object bool
		keys   map[string]bool
		path   string
		key    bool // the next string token is a key
	}
	var stack []*frame
	path := func(k string) string {
		if len(stack) == 0 || stack[len(stack)-1].path == "" {
			return k
		}
		return stack[len(stack)-1].path + "." + k
	}
	var pending string // the key whose value comes next
	for {
		at := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF, or a syntax error the decoder reports
		}
		top := (*frame)(nil)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if k, isKey := tok.(string); isKey && top != nil && top.object && top.key {
			if top.keys[k] {
				return fmt.Errorf("%s: setting %q is given twice", where(data, at), path(k))
			}
			top.keys[k] = true
			top.key = false
			pending = k
			continue
		}
		switch tok {
		case json.Delim('{'):
			p := ""
			if top != nil {
				p = path(pending)
			}
			stack = append(stack, &frame{object: true, keys: map[string]bool{}, path: p, key: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{path: path(pending)})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: in an object the next token is a key again.
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].key = true
		}
	}
}
