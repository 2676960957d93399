package replica

import (
	"strings"
	"unicode/utf8"
)

// searchKey returns the lowered fields joined by NUL, computed once per applied record, so
// that a text query is one substring test and cannot match across two fields.
func searchKey(fields ...string) string {
	n := len(fields)
	for _, f := range fields {
		n += len(f)
	}
	var b strings.Builder
	b.Grow(n)
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(0)
		}
		writeLower(&b, f)
	}
	return b.String()
}

// writeLower writes s lowered: ASCII runs as they are, ASCII capitals one by one, and from
// the first non-ASCII byte on through strings.ToLower.
func writeLower(b *strings.Builder, s string) {
	start := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf:
			b.WriteString(s[start:i])
			b.WriteString(strings.ToLower(s[i:]))
			return
		case 'A' <= c && c <= 'Z':
			b.WriteString(s[start:i])
			b.WriteByte(c + 'a' - 'A')
			start = i + 1
		}
	}
	b.WriteString(s[start:])
}

// matcher is a query text, lowered once per query.
type matcher struct {
	text string // lowered; "" matches everything
	none bool   // the text contains NUL: it matches nothing
}

func newMatcher(text string) matcher {
	return matcher{text: strings.ToLower(text), none: strings.Contains(text, "\x00")}
}

// match reports whether a search key contains the query text.
func (m matcher) match(key string) bool {
	return !m.none && (m.text == "" || strings.Contains(key, m.text))
}
