package policy

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Action is what a rule does when its conditions hold.
type Action string

// The two actions of a rule.
const (
	Allow Action = "allow"
	Deny  Action = "deny"
)

// logic is a logical operator over a list of criteria.
type logic uint8

const (
	opAnd logic = iota // every criterion holds
	opOr               // some criterion holds
	opNot              // no criterion holds
	opNor              // some criterion does not hold
)

var logicNames = map[string]logic{"and": opAnd, "or": opOr, "not": opNot, "nor": opNor}

// clauseSyntax is one operator list of one action block, as written.
type clauseSyntax struct {
	action   Action
	op       logic
	criteria []criterionSyntax
}

// criterionSyntax is one criterion as written; parse checks its shape, not its meaning.
type criterionSyntax struct {
	name     string     // the criterion's key, e.g. "groups"
	op       string     // the operator's key; "" when the operand is bare
	list     bool       // the operand is a list
	operands []string   // the operand, or the items of a list operand
	text     string     // the operand as written: the value, or "[a, b]"
	nameNode *yaml.Node // for errors about the criterion
	opNode   *yaml.Node // for errors about the operator; nameNode when bare
	argNode  *yaml.Node // for errors about the operand
}

// parse reads a policy document into its operator lists, in document order. Its errors are
// *Error values naming the line of the offending node.
func parse(doc []byte) ([]clauseSyntax, error) {
	root, err := decode(doc)
	if err != nil {
		return nil, err
	}
	rules := []*yaml.Node{root}
	if root.Kind == yaml.SequenceNode {
		if len(root.Content) == 0 {
			return nil, errorAt(root, "the policy has no rules")
		}
		rules = root.Content
	} else if root.Kind != yaml.MappingNode {
		return nil, errorAt(root, "a policy is a rule (a mapping with allow and/or deny) or a list of rules, not %s", describe(root))
	}
	var out []clauseSyntax
	for _, r := range rules {
		clauses, err := parseRule(deref(r))
		if err != nil {
			return nil, err
		}
		out = append(out, clauses...)
	}
	return out, nil
}

// decode returns the root node of the document's single YAML document.
func decode(doc []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	var root yaml.Node
	if err := dec.Decode(&root); errors.Is(err, io.EOF) {
		return nil, &Error{Msg: "the policy is empty"}
	} else if err != nil {
		return nil, syntaxError(err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return nil, errorAt(&next, "a policy is one YAML document; another one starts here")
	} else if !errors.Is(err, io.EOF) {
		return nil, syntaxError(err)
	}
	n := &root
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil, &Error{Msg: "the policy is empty"}
		}
		n = n.Content[0]
	}
	if n = deref(n); isNull(n) {
		return nil, &Error{Msg: "the policy is empty"}
	}
	return n, nil
}

// parseRule reads one rule: a mapping with allow and/or deny.
func parseRule(n *yaml.Node) ([]clauseSyntax, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errorAt(n, "a rule is a mapping with allow and/or deny, not %s", describe(n))
	}
	if len(n.Content) == 0 {
		return nil, errorAt(n, "the rule has neither allow nor deny")
	}
	var out []clauseSyntax
	seen := map[Action]bool{}
	for i := 0; i < len(n.Content); i += 2 {
		k := n.Content[i]
		a := Action(k.Value)
		if k.Kind != yaml.ScalarNode || a != Allow && a != Deny {
			return nil, errorAt(k, "unknown action %q: a rule has allow and/or deny", k.Value)
		}
		if seen[a] {
			return nil, errorAt(k, "%s appears twice in the rule", a)
		}
		seen[a] = true
		clauses, err := parseBlock(a, k, deref(n.Content[i+1]))
		if err != nil {
			return nil, err
		}
		out = append(out, clauses...)
	}
	return out, nil
}

// parseBlock reads the operator lists of one action block.
func parseBlock(a Action, key, n *yaml.Node) ([]clauseSyntax, error) {
	if isNull(n) || n.Kind == yaml.MappingNode && len(n.Content) == 0 {
		return nil, errorAt(key, "%s needs at least one of and, or, not, nor", a)
	}
	if n.Kind != yaml.MappingNode {
		return nil, errorAt(n, "%s holds a mapping of and, or, not, nor, not %s", a, describe(n))
	}
	var out []clauseSyntax
	seen := map[logic]bool{}
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		op, ok := logicNames[k.Value]
		if k.Kind != yaml.ScalarNode || !ok {
			return nil, errorAt(k, "unknown logical operator %q in %s: use and, or, not or nor", k.Value, a)
		}
		if seen[op] {
			return nil, errorAt(k, "%s appears twice in %s", k.Value, a)
		}
		seen[op] = true
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			return nil, errorAt(k, "%s.%s needs a non-empty list of criteria, not %s", a, k.Value, describe(v))
		}
		cl := clauseSyntax{action: a, op: op}
		for _, item := range v.Content {
			c, err := parseCriterion(deref(item))
			if err != nil {
				return nil, err
			}
			cl.criteria = append(cl.criteria, c)
		}
		out = append(out, cl)
	}
	return out, nil
}

// parseCriterion reads one criterion: a one-key mapping from the criterion's name to a bare
// operand or to a one-key mapping from an operator to its operand.
func parseCriterion(n *yaml.Node) (criterionSyntax, error) {
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return criterionSyntax{}, errorAt(n, "a criterion is a mapping with one key, such as `groups: {has: admins}`, not %s", describe(n))
	}
	if len(n.Content) > 2 {
		return criterionSyntax{}, errorAt(n, "a criterion has one key, this one has %d (%s): list them as separate criteria", len(n.Content)/2, keys(n))
	}
	k, v := n.Content[0], deref(n.Content[1])
	if _, ok := logicNames[k.Value]; ok {
		return criterionSyntax{}, errorAt(k, "logical operators do not nest: %s cannot be a criterion", k.Value)
	}
	c := criterionSyntax{name: k.Value, nameNode: k, opNode: k, argNode: v}
	switch v.Kind {
	case yaml.MappingNode:
		if len(v.Content) != 2 {
			return c, errorAt(v, "%s takes one operator, found %d (%s): list them as separate criteria", c.name, len(v.Content)/2, keys(v))
		}
		c.op, c.opNode, c.argNode = v.Content[0].Value, v.Content[0], deref(v.Content[1])
		return c, operand(&c)
	case yaml.SequenceNode:
		return c, errorAt(v, "%s: a list of operands needs an operator, such as {in: [...]}", c.name)
	}
	return c, operand(&c)
}

// operand reads c.argNode: one scalar, or a list of scalars.
func operand(c *criterionSyntax) error {
	label := c.name
	if c.op != "" {
		label += "." + c.op
	}
	n := c.argNode
	switch {
	case n.Kind == yaml.SequenceNode:
		c.list = true
		for _, item := range n.Content {
			if item = deref(item); item.Kind != yaml.ScalarNode || isNull(item) {
				return errorAt(item, "%s: list items are values, not %s", label, describe(item))
			}
			c.operands = append(c.operands, item.Value)
		}
		c.text = "[" + strings.Join(c.operands, ", ") + "]"
	case n.Kind == yaml.ScalarNode && !isNull(n):
		c.operands, c.text = []string{n.Value}, n.Value
	case isNull(n):
		return errorAt(c.opNode, "%s needs an operand", label)
	default:
		return errorAt(n, "%s: the operand is a value or a list, not %s", label, describe(n))
	}
	return nil
}

// deref follows YAML aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// describe names a node's kind for error messages.
func describe(n *yaml.Node) string {
	switch {
	case isNull(n):
		return "nothing"
	case n.Kind == yaml.ScalarNode:
		return "the value " + quote(n.Value)
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	}
	return "an unexpected node"
}

// keys lists the keys of a mapping node, comma-separated.
func keys(n *yaml.Node) string {
	var ks []string
	for i := 0; i < len(n.Content); i += 2 {
		ks = append(ks, n.Content[i].Value)
	}
	return strings.Join(ks, ", ")
}

// quote quotes s for messages, cut short when long.
func quote(s string) string {
	const max = 40
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return strconv.Quote(s)
}
