package blob

import (
	"errors"
	"io"
)

// scanner reads JSON tokens from a stream, one at a time, knowing the line and column of
// every token. It buffers a bounded window of the stream, never the whole document.
// Malformed JSON is an *inputError at the offending position; a failing read is returned
// as the reader's error.
type scanner struct {
	r       io.Reader
	buf     []byte // buf[pos:end] is read but not yet scanned
	pos     int
	end     int
	base    int64 // stream offset of buf[0]
	line    int   // line of buf[pos], from 1
	lineOff int64 // stream offset of the first byte of line
	eof     bool
	rerr    error  // a read error other than io.EOF
	scratch []byte // strings with escapes or across buffer refills, and numbers
	key     []byte // the current object member name
}

const scanBufSize = 64 << 10

func newScanner(r io.Reader) *scanner {
	return &scanner{r: r, buf: make([]byte, scanBufSize), line: 1}
}

// fill reads more input, keeping buf[pos:end]. It reports whether any was added.
func (s *scanner) fill() bool {
	if s.eof || s.rerr != nil {
		return false
	}
	if s.pos > 0 {
		s.base += int64(s.pos)
		s.end = copy(s.buf, s.buf[s.pos:s.end])
		s.pos = 0
	}
	if s.end == len(s.buf) {
		s.buf = append(s.buf, make([]byte, len(s.buf))...)
	}
	for range 100 {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		switch {
		case errors.Is(err, io.EOF):
			s.eof = true
		case err != nil:
			s.rerr = err
		}
		if n > 0 || s.eof || s.rerr != nil {
			return n > 0
		}
	}
	s.rerr = io.ErrNoProgress
	return false
}

// skipBOM skips a UTF-8 byte order mark at the start of the input, which some Windows
// tools write; columns on the first line are counted after it.
func (s *scanner) skipBOM() {
	if s.ensure(3) && string(s.buf[s.pos:s.pos+3]) == "\xef\xbb\xbf" {
		s.pos += 3
		s.lineOff = s.base + int64(s.pos)
	}
}

// ensure reports whether n unscanned bytes are buffered, reading until they are.
func (s *scanner) ensure(n int) bool {
	for s.end-s.pos < n {
		if !s.fill() {
			return false
		}
	}
	return true
}

// here is the position of buf[pos].
func (s *scanner) here() position {
	return position{line: s.line, col: int(s.base + int64(s.pos) - s.lineOff + 1)}
}

// truncated is the error for input ending early: the read error, or an inputError.
func (s *scanner) truncated() error {
	if s.rerr != nil {
		return s.rerr
	}
	return errorAt(s.here(), "unexpected end of input")
}

// skipSpace advances past whitespace.
func (s *scanner) skipSpace() {
	for {
		for s.pos < s.end {
			switch s.buf[s.pos] {
			case ' ', '\t', '\r':
			case '\n':
				s.line++
				s.lineOff = s.base + int64(s.pos) + 1
			default:
				return
			}
			s.pos++
		}
		if !s.fill() {
			return
		}
	}
}

// peek skips whitespace and returns the next byte without consuming it.
func (s *scanner) peek() (byte, error) {
	s.skipSpace()
	if s.pos == s.end {
		return 0, s.truncated()
	}
	return s.buf[s.pos], nil
}

// expect consumes the byte c after whitespace.
func (s *scanner) expect(c byte) error {
	got, err := s.peek()
	if err != nil {
		return err
	}
	if got != c {
		return errorAt(s.here(), "expected %q, found %s", c, describe(got))
	}
	s.pos++
	return nil
}

// finish checks that nothing but whitespace follows the document.
func (s *scanner) finish() error {
	s.skipSpace()
	if s.pos < s.end {
		return errorAt(s.here(), "unexpected %s after the end of the document", describe(s.buf[s.pos]))
	}
	return s.rerr
}

// describe names the JSON value or character starting with c, for error messages.
func describe(c byte) string {
	switch {
	case c == '"':
		return "a string"
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a number"
	case c >= 0x20 && c < 0x7f:
		return "'" + string(c) + "'"
	}
	return "byte 0x" + string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&15])
}

// literal consumes the word (true, false or null) at the next position.
func (s *scanner) literal(word string) error {
	s.skipSpace()
	at := s.here()
	if !s.ensure(len(word)) {
		return s.truncated()
	}
	if string(s.buf[s.pos:s.pos+len(word)]) != word {
		return errorAt(at, "invalid literal (expected %s)", word)
	}
	s.pos += len(word)
	return nil
}

// number consumes a JSON number and returns its text, valid until the next call on s.
func (s *scanner) number() ([]byte, error) {
	s.skipSpace()
	at := s.here()
	out := s.scratch[:0]
	for {
		if s.pos == s.end && !s.fill() {
			if s.rerr != nil {
				return nil, s.rerr
			}
			break
		}
		c := s.buf[s.pos]
		if (c < '0' || c > '9') && c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E' {
			break
		}
		out = append(out, c)
		s.pos++
	}
	s.scratch = out
	if !validNumber(out) {
		return nil, errorAt(at, "invalid number %q", out)
	}
	return out, nil
}

// validNumber checks b against JSON's number grammar.
func validNumber(b []byte) bool {
	i := 0
	digits := func() bool {
		n := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if !digits() {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(b)
}
