package sqlstore

import (
	"encoding/json"
	"strings"
)

// unmarshalMap decodes a JSON object of strings, such as marshalMap
// writes, with json.Unmarshal's result: nil for null, an empty map for
// {}, the last of duplicate keys. An object of plain strings (printable
// ASCII, no escapes, no spaces between tokens), which is what a sync's
// attributes are, is decoded here without reflection and its values
// share s's bytes; anything else goes through json.Unmarshal. Reading a
// user decodes one map, and a sync's comparison reads thousands.
func unmarshalMap(s string) (map[string]string, error) {
	if s == "null" {
		return nil, nil
	}
	if m, ok := plainMap(s); ok {
		return m, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, err
	}
	return m, nil
}

// unmarshalStrings decodes a JSON array of strings, such as marshalRoles
// writes, with json.Unmarshal's result; plain strings are decoded
// without reflection, as in unmarshalMap.
func unmarshalStrings(s string) ([]string, error) {
	switch s {
	case "null":
		return nil, nil
	case "[]":
		return []string{}, nil
	}
	if l, ok := plainList(s); ok {
		return l, nil
	}
	var l []string
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, err
	}
	return l, nil
}

// plainMap decodes s if it is {} or {"k":"v",...} of plain strings.
func plainMap(s string) (map[string]string, bool) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, false
	}
	body := s[1 : len(s)-1]
	m := make(map[string]string, sizeHint(body, `":"`))
	for body != "" {
		k, rest, ok := plainString(body)
		if !ok || !strings.HasPrefix(rest, ":") {
			return nil, false
		}
		v, rest, ok := plainString(rest[1:])
		if !ok {
			return nil, false
		}
		m[k] = v
		if body, ok = next(rest); !ok {
			return nil, false
		}
	}
	return m, true
}

// plainList decodes s if it is ["a","b",...] of plain strings.
func plainList(s string) ([]string, bool) {
	if len(s) < 3 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, false
	}
	body := s[1 : len(s)-1]
	l := make([]string, 0, sizeHint(body, `","`)+1)
	for body != "" {
		v, rest, ok := plainString(body)
		if !ok {
			return nil, false
		}
		l = append(l, v)
		if body, ok = next(rest); !ok {
			return nil, false
		}
	}
	return l, true
}

// sizeHint guesses how many members or elements body holds from the
// separators between them, at most 16: an object of a million duplicate
// members (one map entry), or one the plain path gives up on at its end,
// must not size a map or slice for a million.
func sizeHint(body, sep string) int {
	return min(strings.Count(body, sep), 16)
}

// next returns what follows a member or element: rest after its comma,
// or nothing at the end; false for anything else, a trailing comma
// among them.
func next(rest string) (string, bool) {
	if rest == "" {
		return "", true
	}
	after, ok := strings.CutPrefix(rest, ",")
	return after, ok && after != ""
}

// plainString reads the JSON string s starts with, if it holds only
// printable ASCII and no escapes, and returns it and what follows it.
func plainString(s string) (str, rest string, ok bool) {
	if !strings.HasPrefix(s, `"`) {
		return "", "", false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return s[1:i], s[i+1:], true
		case c < 0x20 || c > 0x7e || c == '\\':
			return "", "", false
		}
	}
	return "", "", false
}
