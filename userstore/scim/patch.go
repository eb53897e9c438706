package scim

import (
	"errors"
	"fmt"
	"strings"

	lib "github.com/elimity-com/scim"
	scimfilter "github.com/elimity-com/scim/filter"
	"github.com/elimity-com/scim/schema"
	filter "github.com/scim2/filter-parser/v2"
)

// errPatch means a PATCH operation cannot be applied; it is answered with
// 400 invalidValue.
var errPatch = errors.New("scim: patch")

// attributeFunc finds the schema attribute a path names.
type attributeFunc func(filter.AttributePath) (schema.CoreAttribute, bool)

// applyPatch applies one operation, already parsed and validated by the
// SCIM library, to a resource in its JSON shape (RFC 7644 section 3.5.2).
// It supports the path forms of the package doc.
func applyPatch(m map[string]any, op lib.PatchOperation, attr attributeFunc) error {
	if op.Path == nil {
		if op.Op == lib.PatchOperationRemove {
			return fmt.Errorf("%w: remove needs a path", errPatch)
		}
		values, ok := op.Value.(map[string]any)
		if !ok {
			return fmt.Errorf("%w: an operation without a path needs an object value", errPatch)
		}
		for k, v := range values {
			target := m
			if ext, ok := v.(map[string]any); ok && strings.HasPrefix(strings.ToLower(k), "urn:") {
				// An extension's attributes are merged into it.
				container := subMap(m, k)
				for ek, ev := range ext {
					set(container, ek, ev, op.Op)
				}
				continue
			}
			if strings.HasPrefix(strings.ToLower(k), "urn:") {
				// "urn:...:enterprise:2.0:User:employeeNumber" as a key,
				// which Entra ID sends: the attribute of an extension.
				if i := strings.LastIndex(k, ":"); i > 0 {
					set(subMap(m, k[:i]), k[i+1:], v, op.Op)
				}
				continue
			}
			if name, sub, ok := strings.Cut(k, "."); ok {
				// "name.givenName" as a key, which Entra ID sends.
				target, k = subMap(m, name), sub
			}
			set(target, k, v, op.Op)
		}
		return nil
	}

	p := *op.Path
	container := m
	if p.AttributePath.URIPrefix != nil {
		container = subMap(m, *p.AttributePath.URIPrefix)
	}
	name := key(container, p.AttributePath.AttributeName)

	if p.ValueExpression == nil {
		if sub := p.AttributePath.SubAttribute; sub != nil {
			// name.familyName
			c := subMap(container, name)
			if op.Op == lib.PatchOperationRemove {
				delete(c, key(c, *sub))
				return nil
			}
			set(c, key(c, *sub), op.Value, op.Op)
			return nil
		}
		if op.Op == lib.PatchOperationRemove {
			if values, ok := op.Value.([]any); ok && len(values) > 0 {
				// Remove the listed values of a multi-valued attribute
				// (Entra ID's members removal).
				container[name] = removeValues(container[name], values)
				return nil
			}
			delete(container, name)
			return nil
		}
		set(container, name, op.Value, op.Op)
		return nil
	}

	// A filtered path: emails[type eq "work"].value, members[value eq "x"].
	a, ok := attr(p.AttributePath)
	if !ok || !a.MultiValued() {
		return fmt.Errorf("%w: %s is not a multi-valued attribute", errPatch, p.AttributePath.AttributeName)
	}
	v := scimfilter.NewFilterValidator(p.ValueExpression, schema.Schema{Attributes: scimfilter.MultiValuedFilterAttributes(a)})
	list, _ := container[name].([]any)
	var out []any
	matched := false
	for _, e := range list {
		em, ok := e.(map[string]any)
		if !ok {
			out = append(out, e)
			continue
		}
		pass, err := passes(v, em)
		if err != nil {
			return err
		}
		if !pass {
			out = append(out, e)
			continue
		}
		matched = true
		switch {
		case op.Op == lib.PatchOperationRemove && p.SubAttribute == nil:
			// drop the element
		case op.Op == lib.PatchOperationRemove:
			delete(em, key(em, *p.SubAttribute))
			out = append(out, em)
		case p.SubAttribute != nil:
			em[key(em, *p.SubAttribute)] = op.Value
			out = append(out, em)
		default:
			nv, ok := op.Value.(map[string]any)
			if !ok {
				return fmt.Errorf("%w: %s needs an object value", errPatch, p.AttributePath.AttributeName)
			}
			for k, x := range nv {
				em[key(em, k)] = x
			}
			out = append(out, em)
		}
	}
	if !matched && op.Op != lib.PatchOperationRemove {
		// Nothing matched: add an element made from the filter, so that
		// emails[type eq "work"].value sets a work e-mail where none was.
		em := map[string]any{}
		if eqAttr, eqVal, ok := eqFilter(p.ValueExpression); ok {
			em[eqAttr] = eqVal
		}
		if p.SubAttribute != nil {
			em[*p.SubAttribute] = op.Value
		} else if nv, ok := op.Value.(map[string]any); ok {
			for k, x := range nv {
				em[k] = x
			}
		} else {
			return fmt.Errorf("%w: %s needs an object value", errPatch, p.AttributePath.AttributeName)
		}
		out = append(out, em)
	}
	container[name] = out
	return nil
}

// set adds or replaces attribute k of m: add appends to a multi-valued
// attribute and merges a complex one; replace sets the value.
func set(m map[string]any, k string, v any, op string) {
	k = key(m, k)
	if op == lib.PatchOperationAdd {
		if list, ok := v.([]any); ok {
			if cur, ok := m[k].([]any); ok {
				m[k] = append(cur, list...)
				return
			}
		}
		if nv, ok := v.(map[string]any); ok {
			if cur, ok := m[k].(map[string]any); ok {
				for sk, sv := range nv {
					cur[key(cur, sk)] = sv
				}
				return
			}
		}
	}
	m[k] = v
}

// removeValues drops the elements of a multi-valued attribute whose value
// equals the value of one of values.
func removeValues(list any, values []any) []any {
	drop := map[string]bool{}
	for _, v := range values {
		if vm, ok := v.(map[string]any); ok {
			if s, ok := vm["value"].(string); ok {
				drop[s] = true
			}
		}
	}
	cur, _ := list.([]any)
	var out []any
	for _, e := range cur {
		if em, ok := e.(map[string]any); ok {
			if s, ok := em["value"].(string); ok && drop[s] {
				continue
			}
		}
		out = append(out, e)
	}
	return out
}

// subMap returns the complex attribute k of m, creating it when absent.
func subMap(m map[string]any, k string) map[string]any {
	k = key(m, k)
	if c, ok := m[k].(map[string]any); ok {
		return c
	}
	c := map[string]any{}
	m[k] = c
	return c
}

// key returns the key of m equal to k without regard to case, or k.
func key(m map[string]any, k string) string {
	if _, ok := m[k]; ok {
		return k
	}
	for mk := range m {
		if strings.EqualFold(mk, k) {
			return mk
		}
	}
	return k
}

// errFilter means the SCIM library could not evaluate a filter it had
// accepted; it is answered with 400 invalidFilter.
var errFilter = errors.New("scim: filter cannot be evaluated")

// passes reports whether resource passes the filter. The library panics on
// some filters its validator accepts (a comparison of a complex attribute,
// such as `meta gt ""`, found by FuzzFilter); that is reported as errFilter.
func passes(v scimfilter.Validator, resource map[string]any) (ok bool, err error) {
	defer func() {
		if recover() != nil {
			ok, err = false, errFilter
		}
	}()
	return v.PassesFilter(resource) == nil, nil
}
