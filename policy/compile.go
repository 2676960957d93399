package policy

import (
	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// GroupResolver finds a directory's groups by id and by name, to resolve the group operands
// of a policy when it is compiled. *replica.Replica is one.
type GroupResolver interface {
	// Group returns the directory's group with that id, or an error when there is none.
	Group(directory, id string) (*dirsyncv1.Group, error)
	// GroupsByName returns the directory's groups whose name is exactly name.
	GroupsByName(directory, name string) []*dirsyncv1.Group
}

// Policy is a compiled policy document for one directory: its criteria with their operands
// checked, lowered and resolved. It is immutable and safe for concurrent use.
type Policy struct {
	directory string
	criteria  []criterion // in document order
	clauses   []clause    // in document order
}

// clause is one operator list of an action block: criteria[from:to] combined by op.
type clause struct {
	action   Action
	op       logic
	from, to int
}

// Compile parses doc (see the package documentation for the language) and binds it to a
// directory: it checks every criterion and operator, and resolves group operands, by id or
// by unambiguous name, through groups (which may be nil when the policy has no groups
// criteria). An invalid document returns an *Error naming the offending line.
func Compile(doc []byte, directory string, groups GroupResolver) (*Policy, error) {
	if directory == "" {
		return nil, &Error{Msg: "no directory to compile the policy for"}
	}
	syntax, err := parse(doc)
	if err != nil {
		return nil, err
	}
	p := &Policy{directory: directory}
	for _, cs := range syntax {
		cl := clause{action: cs.action, op: cs.op, from: len(p.criteria)}
		for _, s := range cs.criteria {
			c, err := bind(s, cs.action, directory, groups)
			if err != nil {
				return nil, err
			}
			p.criteria = append(p.criteria, c)
		}
		cl.to = len(p.criteria)
		p.clauses = append(p.clauses, cl)
	}
	return p, nil
}

// Directory returns the directory the policy was compiled for.
func (p *Policy) Directory() string { return p.directory }
