package google

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAssembleEdgeCases(t *testing.T) {
	users := []apiUser{{ID: "u2", PrimaryEmail: "b@example.com"}, {ID: "u1", PrimaryEmail: "a@example.com"}, {ID: ""}}
	groups := []apiGroup{{ID: "g2", Name: "Two"}, {ID: "g1", Name: "One"}}
	members := [][]apiMember{
		{ // g2
			{ID: "u1", Type: "USER"}, {ID: "u1", Type: "USER"}, // listed twice: one edge
			{ID: "", Email: "nobody@example.com", Type: "USER"},         // no id: ignored
			{ID: "x1", Email: "x@example.com", Type: "SERVICE_ACCOUNT"}, // unknown type: ignored
			{ID: "C012", Type: "CUSTOMER"},
			{ID: "e1", Email: "e@partner.example", Type: "EXTERNAL"},
		},
		{ // g1
			{ID: "g2", Type: "GROUP"}, {ID: "g1", Type: "GROUP"}, // a group inside itself
		},
	}
	us, gs := assemble(users, groups, members)

	var ids []string
	for _, u := range us {
		ids = append(ids, u.GetId())
	}
	require.Equal(t, []string{"e1", "u1", "u2"}, ids) // sorted, externals kept, no empty id
	require.Equal(t, []string{"g2"}, us[0].GetGroupIds())
	require.True(t, us[0].GetAttributes().GetFields()["external"].GetBoolValue())
	require.Equal(t, []string{"g2"}, us[1].GetGroupIds()) // direct and through CUSTOMER: once
	require.Equal(t, []string{"g2"}, us[2].GetGroupIds()) // CUSTOMER only
	require.Nil(t, us[2].GetAttributes())

	require.Len(t, gs, 2)
	require.Equal(t, "g1", gs[0].GetId())
	require.Equal(t, []string{"g1"}, gs[0].GetGroupIds()) // kept; the syncer never makes a group its own ancestor
	require.Equal(t, []string{"g1"}, gs[1].GetGroupIds())
}
