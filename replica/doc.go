// Package replica is the in-memory index of one store's directory records: users and groups
// of every directory, fed in version order by Apply, answering lookups by id and email,
// case-insensitive search, id-ordered pagination, and direct or transitive (nested) group
// membership.
//
// It owns the index structures and the membership graph computed from the records' direct
// edges (User.group_ids and Group.group_ids); it ignores the effective_group_ids the syncer
// stores, so a replica agrees with itself whatever produced its records.
//
// It is shared by the server (DirectoryQuery) and the Go client SDK that authorization engines
// embed, so it must stay small and fast: it must not import server, syncer, provider or store
// backend code (only store, for its sentinel errors), must not start goroutines, and must not
// do I/O. Reads take a shared lock and allocate little; IsMember is the hot path.
package replica
