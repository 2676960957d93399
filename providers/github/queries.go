package github

// The GraphQL queries. Connections ask for GitHub's maximum of 100 nodes; team members are
// the IMMEDIATE ones (not those of child teams: nesting is kept as team→team edges). The
// fake in the tests dispatches on the operation names.

const membersQuery = `query Members($org: String!, $after: String) {
  organization(login: $org) {
    membersWithRole(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { id login name email }
    }
  }
}`

// teamsQuery reads up to 100 teams with their first 100 immediate members each; teams with
// more members are completed by teamMembersQuery.
const teamsQuery = `query Teams($org: String!, $after: String) {
  organization(login: $org) {
    teams(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id slug name description
        parentTeam { id slug }
        members(first: 100, membership: IMMEDIATE) {
          pageInfo { hasNextPage endCursor }
          nodes { id login }
        }
      }
    }
  }
}`

const teamMembersQuery = `query TeamMembers($org: String!, $slug: String!, $after: String) {
  organization(login: $org) {
    team(slug: $slug) {
      members(first: 100, after: $after, membership: IMMEDIATE) {
        pageInfo { hasNextPage endCursor }
        nodes { id login }
      }
    }
  }
}`

// connection is one page of a GraphQL connection.
type connection[T any] struct {
	PageInfo pageInfo `json:"pageInfo"`
	Nodes    []T      `json:"nodes"`
}

// member is an organization member.
type member struct {
	ID    string `json:"id"`
	Login string `json:"login"`
	Name  string `json:"name"`
	Email string `json:"email"` // the public profile email, often empty
}

// memberRef is a team member.
type memberRef struct {
	ID    string `json:"id"`
	Login string `json:"login"`
}

// teamRef names a team.
type teamRef struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
}

// teamNode is a team as teamsQuery reads it.
type teamNode struct {
	ID          string                `json:"id"`
	Slug        string                `json:"slug"`
	Name        string                `json:"name"`
	Description string                `json:"description"`
	ParentTeam  *teamRef              `json:"parentTeam"`
	Members     connection[memberRef] `json:"members"`
}
