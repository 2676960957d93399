package blob

import (
	"unicode/utf16"
	"unicode/utf8"
)

// stringStop marks the bytes that end the fast scan of a string: quote, backslash and
// control characters.
var stringStop = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// str consumes a JSON string (the next byte must be '"') and returns its decoded bytes,
// valid until the next call on s.
func (s *scanner) str() ([]byte, error) {
	s.skipSpace()
	start := s.here()
	s.pos++ // opening quote
	// Fast path: the whole string is buffered and has no escapes.
	var high byte
	for i := s.pos; i < s.end; i++ {
		c := s.buf[i]
		if stringStop[c] {
			if c != '"' {
				break
			}
			out := s.buf[s.pos:i]
			if high >= 0x80 && !utf8.Valid(out) {
				return nil, errorAt(start, "invalid UTF-8 in string")
			}
			s.pos = i + 1
			return out, nil
		}
		high |= c
	}
	return s.strSlow(start)
}

// strSlow decodes a string with escapes or one that continues past the buffer.
func (s *scanner) strSlow(start position) ([]byte, error) {
	out := s.scratch[:0]
	for {
		if s.pos == s.end && !s.fill() {
			return nil, s.truncated()
		}
		c := s.buf[s.pos]
		switch {
		case c == '"':
			s.pos++
			s.scratch = out
			if !utf8.Valid(out) {
				return nil, errorAt(start, "invalid UTF-8 in string")
			}
			return out, nil
		case c == '\\':
			var err error
			if out, err = s.escape(out); err != nil {
				return nil, err
			}
		case c < 0x20:
			return nil, errorAt(s.here(), "control character %s in string", describe(c))
		default:
			out = append(out, c)
			s.pos++
		}
	}
}

// escape decodes the escape sequence at buf[pos] (a backslash) onto out.
func (s *scanner) escape(out []byte) ([]byte, error) {
	at := s.here()
	if !s.ensure(2) {
		return nil, s.truncated()
	}
	c := s.buf[s.pos+1]
	if r, ok := simpleEscapes[c]; ok {
		s.pos += 2
		return append(out, r), nil
	}
	if c != 'u' {
		return nil, errorAt(at, "invalid escape %s in string", describe(c))
	}
	r, ok := s.hex4(at)
	if !ok {
		return nil, errorAt(at, "invalid \\u escape in string")
	}
	if utf16.IsSurrogate(r) {
		r2, ok := s.hex4(at)
		r = utf16.DecodeRune(r, r2)
		if !ok || r == utf8.RuneError {
			return nil, errorAt(at, "invalid surrogate pair in string")
		}
	}
	return utf8.AppendRune(out, r), nil
}

var simpleEscapes = map[byte]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// hex4 consumes a \uXXXX sequence and returns its value.
func (s *scanner) hex4(at position) (rune, bool) {
	if !s.ensure(6) || s.buf[s.pos] != '\\' || s.buf[s.pos+1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range s.buf[s.pos+2 : s.pos+6] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	s.pos += 6
	return r, true
}
