package providertest

// record is a user or a group.
type record interface{ GetId() string }

// IDs returns the ids of records (users or groups) in their order; nil for none.
func IDs[R record](records []R) []string {
	var out []string
	for _, r := range records {
		out = append(out, r.GetId())
	}
	return out
}

// ByID returns records (users or groups) by id.
func ByID[R record](records []R) map[string]R {
	out := make(map[string]R, len(records))
	for _, r := range records {
		out[r.GetId()] = r
	}
	return out
}

// CeilDiv is a/b rounded up: the pages it takes to list a items b to a page.
func CeilDiv(a, b int) int { return (a + b - 1) / b }
