package policy

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// field is the property of the user that a criterion reads.
type field uint8

const (
	fieldGroups field = iota + 1 // effective group ids
	fieldEmail                   // lowered email
	fieldDomain                  // lowered part of the email after its last '@'
	fieldUser                    // user id
)

// test is what a criterion checks about its field.
type test uint8

const (
	groupHas     test = iota + 1 // member of arg
	groupIs                      // arg is the only effective group
	groupExclude                 // not a member of arg
	textIs                       // equals arg
	textIn                       // equals an item of set
	textPrefix                   // starts with arg
	textSuffix                   // ends with arg
	textContains                 // contains arg
	textNot                      // set, and not equal to arg
)

// kind describes one criterion name: what it reads, its operators, and the operator a bare
// operand implies.
type kind struct {
	field   field
	ops     map[string]test
	implied string
}

var textOps = map[string]test{"is": textIs, "in": textIn, "starts_with": textPrefix,
	"ends_with": textSuffix, "contains": textContains, "not": textNot}

var kinds = map[string]kind{
	"groups": {fieldGroups, map[string]test{"has": groupHas, "is": groupIs, "exclude": groupExclude}, "has"},
	"email":  {fieldEmail, textOps, "is"},
	"domain": {fieldDomain, textOps, "is"},
	"user":   {fieldUser, map[string]test{"is": textIs, "in": textIn}, "is"},
}

// criterion is one compiled criterion.
type criterion struct {
	outcome Outcome // its line, action, name and operand as written; Matched unset
	field   field
	test    test
	arg     string   // the operand: lowered for email and domain, a group id for groups
	set     []string // the operands of in, likewise
}

// bind checks a criterion as written and compiles it for the directory.
func bind(s criterionSyntax, action Action, directory string, groups GroupResolver) (criterion, error) {
	k, ok := kinds[s.name]
	if !ok {
		return criterion{}, errorAt(s.nameNode, "unknown criterion %s: use one of %s", quote(s.name), names(kinds))
	}
	op := s.op
	if op == "" {
		op = k.implied
	}
	label := s.name + "." + op
	t, ok := k.ops[op]
	if !ok {
		return criterion{}, errorAt(s.opNode, "%s has no operator %s: use one of %s", s.name, quote(op), names(k.ops))
	}
	switch {
	case t == textIn && !s.list:
		return criterion{}, errorAt(s.argNode, "%s takes a list, such as [a, b]", label)
	case t != textIn && s.list:
		return criterion{}, errorAt(s.argNode, "%s takes one value, not a list", label)
	case len(s.operands) == 0:
		return criterion{}, errorAt(s.argNode, "%s: the list is empty", label)
	}
	c := criterion{outcome: Outcome{Line: s.nameNode.Line, Action: action, Criterion: label, Value: s.text},
		field: k.field, test: t}
	operands := make([]string, len(s.operands))
	for i, v := range s.operands {
		if v == "" {
			return criterion{}, errorAt(s.argNode, "%s: empty operand", label)
		}
		switch k.field {
		case fieldEmail:
			v = strings.ToLower(v)
		case fieldDomain:
			if strings.Contains(v, "@") {
				return criterion{}, errorAt(s.argNode, "%s: %s can never match: the domain is the part of the email after '@'", label, quote(v))
			}
			v = strings.ToLower(v)
		case fieldGroups:
			id, err := resolveGroup(groups, directory, v)
			if err != nil {
				return criterion{}, errorAt(s.argNode, "%s: %v", label, err)
			}
			v = id
		}
		operands[i] = v
	}
	if t == textIn {
		c.set = operands
	} else {
		c.arg = operands[0]
	}
	return c, nil
}

// resolveGroup returns the id of the one group of the directory that s designates: the
// group with id s, else the only group named s.
func resolveGroup(groups GroupResolver, directory, s string) (string, error) {
	if groups == nil {
		return "", fmt.Errorf("groups criteria need a group resolver")
	}
	if g, err := groups.Group(directory, s); err == nil && g != nil {
		return s, nil
	}
	named := groups.GroupsByName(directory, s)
	switch len(named) {
	case 0:
		return "", fmt.Errorf("no group of directory %s has the id or name %s", quote(directory), quote(s))
	case 1:
		return named[0].GetId(), nil
	}
	ids := make([]string, 0, len(named))
	for _, g := range named {
		ids = append(ids, g.GetId())
	}
	const show = 5
	list := strings.Join(ids[:min(len(ids), show)], ", ")
	if len(ids) > show {
		list += fmt.Sprintf(" and %d more", len(ids)-show)
	}
	return "", fmt.Errorf("group name %s is ambiguous: %d groups bear it (%s); name the group by id", quote(s), len(ids), list)
}

// names lists a map's keys, sorted and comma-separated.
func names[V any](m map[string]V) string {
	return strings.Join(slices.Sorted(maps.Keys(m)), ", ")
}
