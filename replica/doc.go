// Package replica is the in-memory index of one store's directory records: users and groups
// of every directory, fed in version order by Apply, answering lookups by id and email,
// case-insensitive search, id-ordered pagination, and direct or transitive (nested) group
// membership.
//
// Membership comes only from the records' direct edges: User.group_ids (user → groups) and
// Group.group_ids (group → parent groups). Transitive membership is computed here, not read
// from the effective_group_ids the syncer stores, so a replica agrees with itself whatever
// produced its records. A group id without a live group record is not a node: reads skip it
// and no path runs through it. Walks are cycle-safe: every group on a cycle is an ancestor
// (and a descendant) of the others, never of itself.
//
// It is shared by the server (DirectoryQuery) and the Go client SDK that authorization engines
// embed, so it must stay small and fast: it must not import server, syncer, provider or store
// backend code (only store, for its sentinel errors), must not start goroutines, and must not
// do I/O. Reads take a shared lock; IsMember, the hot path, does not allocate once warm.
//
// Files: replica.go (the type, versions, waiting), apply.go (writes), index.go (entries and
// the per-directory indexes), idtree.go (id-ordered sets), members.go (group member sets),
// email.go, search.go (text matching), graph.go (nesting, IsMember), lookup.go, query.go
// (pages).
package replica
