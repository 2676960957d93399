package blob

// members iterates over the members of a JSON object:
//
//	m, err := s.object()
//	for key, at, ok, err := m.next(); ok; … { read the value }
type members struct {
	s *scanner
	n int
}

// object consumes the '{' that starts an object.
func (s *scanner) object() (members, error) {
	return members{s: s}, s.expect('{')
}

// next consumes the separator and name of the next member and the ':' after it. It
// returns the name (valid until the next call on the scanner) and where it starts, or
// ok=false after consuming the closing '}'.
func (m *members) next() (key []byte, at position, ok bool, err error) {
	s := m.s
	c, err := s.peek()
	if err != nil {
		return nil, at, false, err
	}
	if c == '}' {
		s.pos++
		return nil, at, false, nil
	}
	if m.n > 0 {
		if c != ',' {
			return nil, at, false, errorAt(s.here(), "expected ',' or '}' after an object member, found %s", describe(c))
		}
		s.pos++
		if c, err = s.peek(); err != nil {
			return nil, at, false, err
		}
	}
	at = s.here()
	if c != '"' {
		return nil, at, false, errorAt(at, "expected a member name (a string), found %s", describe(c))
	}
	name, err := s.str()
	if err != nil {
		return nil, at, false, err
	}
	// Copy: reading on may move the buffer under name.
	s.key = append(s.key[:0], name...)
	if err := s.expect(':'); err != nil {
		return nil, at, false, err
	}
	m.n++
	return s.key, at, true, nil
}

// elements iterates over the elements of a JSON array.
type elements struct {
	s *scanner
	n int
}

// array consumes the '[' that starts an array.
func (s *scanner) array() (elements, error) {
	return elements{s: s}, s.expect('[')
}

// next consumes the separator before the next element and returns where the element
// starts, or ok=false after consuming the closing ']'.
func (e *elements) next() (at position, ok bool, err error) {
	s := e.s
	c, err := s.peek()
	if err != nil {
		return at, false, err
	}
	if c == ']' {
		s.pos++
		return at, false, nil
	}
	if e.n > 0 {
		if c != ',' {
			return at, false, errorAt(s.here(), "expected ',' or ']' after an array element, found %s", describe(c))
		}
		s.pos++
		if _, err = s.peek(); err != nil {
			return at, false, err
		}
	}
	e.n++
	return s.here(), true, nil
}
