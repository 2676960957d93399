package policy

import (
	"fmt"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Error is a policy document that does not compile: what is wrong, and where.
type Error struct {
	// Line is the 1-based line of the offending node in the document; 0 when the error
	// concerns the document as a whole. For malformed YAML it is the line the YAML decoder
	// reports, which for an unclosed construct can be the line before it, or 0.
	Line int
	// Msg says what is wrong.
	Msg string
}

// Error returns "line N: Msg", or Msg alone when Line is 0.
func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// errorAt returns an *Error at n's line (0 when n is nil).
func errorAt(n *yaml.Node, format string, args ...any) *Error {
	e := &Error{Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line = n.Line
	}
	return e
}

// yamlLine matches the "yaml: line N: what" form of the YAML decoder's syntax errors.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a YAML decoder error into an *Error, keeping its line when it has one.
func syntaxError(err error) *Error {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return &Error{Msg: "malformed YAML: " + err.Error()}
	}
	line, _ := strconv.Atoi(m[1])
	return &Error{Line: line, Msg: "malformed YAML: " + m[2]}
}
