package scim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
)

// entraBooleans rewrites, in a PATCH body of a user, an "active" given as
// the string "True" or "False" (in any case) to a JSON boolean. Microsoft
// Entra ID sends the string unless the tenant URL carries its
// aadOptscim062020 flag (Microsoft Learn, "Known issues and resolutions with
// SCIM 2.0 protocol compliance of the Microsoft Entra user provisioning
// service"), and the SCIM library refuses a string for a boolean attribute.
// Anything else, and a body that is not a PATCH request, is returned as it
// is.
func entraBooleans(r *http.Request, body []byte) []byte {
	if r.Method != http.MethodPatch || !strings.HasPrefix(strings.TrimPrefix(r.URL.Path, "/v2"), "/Users/") {
		return body
	}
	var req map[string]any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if d.Decode(&req) != nil {
		return body
	}
	changed := false
	for k, ops := range req {
		if !strings.EqualFold(k, "Operations") {
			continue
		}
		list, _ := ops.([]any)
		for _, o := range list {
			op, _ := o.(map[string]any)
			if op == nil {
				continue
			}
			var path string
			var valueKey string
			for ok := range op {
				switch strings.ToLower(ok) {
				case "path":
					path, _ = op[ok].(string)
				case "value":
					valueKey = ok
				}
			}
			if valueKey == "" {
				continue
			}
			if strings.EqualFold(path, "active") {
				if b, ok := boolString(op[valueKey]); ok {
					op[valueKey], changed = b, true
				}
			} else if path == "" {
				if vm, ok := op[valueKey].(map[string]any); ok {
					for vk, vv := range vm {
						if strings.EqualFold(vk, "active") {
							if b, ok := boolString(vv); ok {
								vm[vk], changed = b, true
							}
						}
					}
				}
			}
		}
	}
	if !changed {
		return body
	}
	out, err := json.Marshal(req)
	if err != nil {
		return body
	}
	return out
}

func boolString(v any) (bool, bool) {
	s, ok := v.(string)
	if !ok {
		return false, false
	}
	switch strings.ToLower(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}
