package blob

import (
	"errors"
	"fmt"
)

// position is a place in a JSON document: line and byte column, both from 1. The zero
// position means "not within a document".
type position struct{ line, col int }

// inputError is malformed input: the file (and zip entry) it is in, the record entry of the
// file it concerns, where, and what is wrong with it.
type inputError struct {
	file  string // "directory.json", or "bundle.zip: pomerium.io/DirectoryUser.json"
	entry string // "users[12]" or "[3]"; empty outside record entries
	pos   position
	msg   string
}

func (e *inputError) Error() string {
	where := e.file
	switch {
	case e.entry != "" && e.pos.line > 0:
		where += fmt.Sprintf(": %s (line %d, column %d)", e.entry, e.pos.line, e.pos.col)
	case e.entry != "":
		where += ": " + e.entry
	case e.pos.line > 0:
		where += fmt.Sprintf(": line %d, column %d", e.pos.line, e.pos.col)
	}
	return where + ": " + e.msg
}

// errorAt returns malformed-input error at pos; the decoder fills in file and entry.
func errorAt(pos position, format string, args ...any) error {
	return &inputError{pos: pos, msg: fmt.Sprintf(format, args...)}
}

// inFile sets the file and entry of err when it is malformed input and has none yet, so
// the innermost label wins. Other errors (reads failing) are returned as they are.
func inFile(err error, file, entry string) error {
	var ie *inputError
	if !errors.As(err, &ie) {
		return err
	}
	if ie.file == "" {
		ie.file = file
	}
	if ie.entry == "" {
		ie.entry = entry
	}
	return err
}
