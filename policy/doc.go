// Package policy compiles and evaluates authorization policies written in a YAML language
// modelled on Pomerium's Policy Language (PPL), over the users and groups of one directory
// held in a replica.Replica.
//
// It owns the language: parsing (parse.go), checking operators and resolving group names
// (compile.go, criteria.go), and evaluation (evaluate.go). A policy is compiled once for a
// directory and evaluated many times; evaluation reads the replica and allocates only its
// result (and, for groups.is, the user's effective groups). It must not import server, syncer, provider or store backend code, must not
// start goroutines and must not do I/O: authorization engines embed it beside the client SDK.
//
// # Language
//
// A document is one rule or a list of rules. A rule is a mapping with an allow block, a
// deny block, or both. A block is a mapping with one or more of the logical operators and,
// or, not and nor, each holding a non-empty list of criteria:
//
//	allow:
//	  and:
//	    - groups: {has: Engineering}
//	    - domain: {is: acme.example}
//	deny:
//	  or:
//	    - email: {is: contractor@acme.example}
//
// Given criteria A and B, the operators mean (as in PPL):
//
//	and: A ∧ B    or: A ∨ B    not: ¬A ∧ ¬B (none holds)    nor: ¬A ∨ ¬B (not all hold)
//
// The operator lists of every allow block of the document are alternatives: the policy
// allows when at least one of them holds, and likewise for deny. So, as in PPL,
// `allow: {and: [A], not: [B]}` means A ∨ ¬B, not A ∧ ¬B. To require A and exclude B, list A
// with a negated matcher in one and list (groups exclude, email or domain not), or deny B.
// The decision: Allowed when some allow list holds and no deny list holds (deny wins);
// Denied when some deny list holds. A policy without allow rules allows nobody.
//
// A criterion is a single-key mapping: the criterion name, then either one operator and its
// operand, or a bare operand that implies the criterion's default operator:
//
//	groups  (the user's effective groups: direct, and every group those are nested in)
//	        has X      the user is a member of X                    (default)
//	        is X       the user's effective groups are exactly [X]
//	        exclude X  the user is not a member of X
//	email   (the user's email address, compared ignoring case)
//	        is S (default), in [S, …], starts_with S, ends_with S, contains S,
//	        not S      the user has an email address and it is not S
//	domain  (the part of the email after its last '@', compared ignoring case)
//	        the same operators as email; its operands cannot contain '@'
//	user    (the user's id, compared exactly)
//	        is ID (default), in [ID, …]
//
// in takes a non-empty list; every other operator takes one non-empty scalar. A group
// operand names a group of the policy's directory by id or by name: an existing group id
// designates that group (ids are stable and unique, so an id wins over another group's
// name); otherwise the operand must be the name of exactly one group. A name borne by
// several groups is ambiguous, and an operand that is neither an id nor a name is unknown:
// both are compile errors. Operands are resolved when the policy is compiled: recompile to
// follow renames; a group deleted after compilation has no members. A user without an email address matches no email or domain criterion (not
// included). The user's state (e.g. suspended) is not consulted: no criterion reads it, so
// an engine that must refuse suspended users checks User.State itself.
//
// Differences from PPL: groups reads the directory's effective (nested) membership; user has
// only is and in; one operator per criterion (PPL ANDs several); empty operator lists, empty
// blocks and empty operands are errors (PPL ignores them); only the criteria above exist.
// As in PPL, logical operators do not nest, and scalars of any YAML type (user: 12345) are
// taken as text.
//
// Every compile error is an *Error naming the line of the offending node.
package policy
