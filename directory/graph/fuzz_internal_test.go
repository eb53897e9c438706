package graph

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzResponse feeds arbitrary bytes where Graph's answers go: an error
// body and a page of user objects. Nothing may panic, an error always
// says something, and mapped entries only hold what the objects had.
func FuzzResponse(f *testing.F) {
	f.Add([]byte(`{"error":{"code":"TooManyRequests","message":"slow down"}}`))
	f.Add([]byte(`{"value":[{"id":"1","displayName":"A","otherMails":["a@x","b@x"],"accountEnabled":true,"department":"x, y,,x"}],"@odata.nextLink":"https://graph.microsoft.com/v1.0/users?$skiptoken=1"}`))
	f.Add([]byte(`{"value":[{"id":"2","@removed":{"reason":"deleted"}},{"@odata.type":"#microsoft.graph.group","id":"g"}],"@odata.deltaLink":"x"}`))
	f.Add([]byte(`{"value":[{"id":1,"displayName":{"a":1},"otherMails":[null,1,[2]],"accountEnabled":"yes"}]}`))
	f.Add([]byte(`<html>502 Bad Gateway</html>`))
	s, err := New(Config{TenantID: "t", ClientID: "c", ClientSecret: "s"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e := parseError(502, data)
		if e.Status != 502 || e.Code == "" || !strings.HasPrefix(e.Error(), "graph: 502 ") {
			t.Fatalf("bad error %#v", e)
		}
		var p page
		if json.Unmarshal(data, &p) != nil {
			return
		}
		for _, obj := range p.Value {
			_ = isUser(obj)
			_ = s.isComplete(obj)
			en := s.entry(obj)
			if en.Source != "azuread" {
				t.Fatalf("source %q", en.Source)
			}
			for _, g := range append(en.Groups, en.Roles...) {
				if g == "" || g != strings.TrimSpace(g) || strings.Contains(g, ",") {
					t.Fatalf("bad list item %q", g)
				}
			}
			if _, ok := obj["id"]; !ok && en.ExternalID != "" {
				t.Fatalf("ExternalID %q without id", en.ExternalID)
			}
		}
	})
}
