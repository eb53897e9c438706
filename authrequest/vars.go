package authrequest

import (
	"encoding/base64"
	"maps"
	"regexp"
	"strconv"
	"strings"

	"github.com/usher-sdk/usher/userstore"
)

// Bounds of a request's input.
const (
	MaxTextLength  = 1024 // bytes of Action, Description, Fingerprint, State, a reason
	MaxVars        = 32   // custom variables of a request or profile
	MaxVarLength   = 1024 // bytes of one variable's value
	MaxPayload     = 8192 // bytes of a device's signed payload
	MaxPayloadType = 128  // bytes of its type
)

var varName = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// builtinVars are the variables Usher sets; custom variables cannot
// override them.
var builtinVars = []string{
	"response_type", "state", "event", "uuid", "username", "user_email", "user_phone",
	"user_full_name", "user_id", "user_guid", "biometry_check", "keytoken", "fingerprint",
	"action", "description", "response_payload_base64", "response_payload_type",
	"response_ip", "request_ip", "error", "error_message", "source", "kind",
}

// checkVars validates custom variables.
func checkVars(vs map[string]string) error {
	if len(vs) > MaxVars {
		return invalid("at most %d variables", MaxVars)
	}
	for k, v := range vs {
		if !varName.MatchString(k) {
			return invalid("variable name %q: want 1 to 64 of A-Z, a-z, 0-9 and _", k)
		}
		for _, b := range builtinVars {
			if strings.EqualFold(k, b) {
				return invalid("variable %q is set by Usher", k)
			}
		}
		if len(v) > MaxVarLength {
			return invalid("variable %q: at most %d bytes", k, MaxVarLength)
		}
	}
	return nil
}

// userVars are the variables of a request's user, known at creation.
func userVars(r Request, u userstore.User) map[string]string {
	full := u.DisplayName
	if full == "" {
		full = strings.TrimSpace(u.GivenName + " " + u.FamilyName)
	}
	vs := map[string]string{}
	maps.Copy(vs, r.Vars)
	maps.Copy(vs, map[string]string{
		"username":       r.Username,
		"user_email":     u.Email,
		"user_phone":     u.Phone,
		"user_full_name": full,
		"user_id":        u.ID,
		"user_guid":      u.ExternalID,
		"fingerprint":    r.Fingerprint,
		"state":          r.State,
	})
	return vs
}

// eventVars are the variables of a callback for event e of r, made for
// user u (the zero User when unknown), with the answer a (nil for Create).
func eventVars(r Request, u userstore.User, e Event, a *Answer) map[string]string {
	vs := userVars(r, u)
	maps.Copy(vs, map[string]string{
		"event":          string(e),
		"uuid":           r.ID,
		"username":       r.Username,
		"biometry_check": strconv.FormatBool(r.BiometricCheck),
		"fingerprint":    r.Fingerprint,
		"state":          r.State,
		"action":         r.Action,
		"description":    r.Description,
		"request_ip":     r.RequestIP,
		"source":         string(r.Origin),
		"kind":           string(r.Kind),
	})
	if a != nil {
		vs["response_type"] = string(a.Decision)
		vs["keytoken"] = a.DeviceID
		vs["response_payload_base64"] = base64.StdEncoding.EncodeToString(a.Payload)
		vs["response_payload_type"] = a.PayloadType
		vs["response_ip"] = a.ResponseIP
		if a.Reason != "" {
			vs["error_message"] = a.Reason
		}
	}
	return vs
}
