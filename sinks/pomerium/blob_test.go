package pomerium

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/blob"
	"github.com/dirsync/dirsync/sinks/pomerium/pomeriumtest"
	"github.com/dirsync/dirsync/store/memory"
	"github.com/dirsync/dirsync/syncer"
)

// blobDir is a directory file in the blob provider's JSON form.
type blobDir struct {
	Users  []map[string]any `json:"users"`
	Groups []map[string]any `json:"groups"`
}

func (d blobDir) write(t *testing.T, path string) {
	b, err := json.Marshal(d)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path+".tmp", b, 0o600))
	require.NoError(t, os.Rename(path+".tmp", path))
}

// TestBlobDirectory: a blob directory synced by the syncer reaches the databroker with
// effective (nested) group ids; edits, a nested-group move and deletions follow.
func TestBlobDirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "directory.json")
	u := func(id, name string, groups ...string) map[string]any {
		return map[string]any{"id": id, "display_name": name, "email": id + "@example.com", "group_ids": groups}
	}
	data := blobDir{
		Users: []map[string]any{u("u1", "Ann", "platform"), u("u2", "Bob", "sales"), u("u3", "Cid", "eng")},
		Groups: []map[string]any{{"id": "all", "name": "All"}, {"id": "eng", "name": "Engineering", "group_ids": []string{"all"}},
			{"id": "platform", "name": "Platform", "group_ids": []string{"eng"}}, {"id": "sales", "name": "Sales", "group_ids": []string{"all"}}},
	}
	data.write(t, file)

	reg := providers.NewRegistry()
	blob.Register(reg)
	typ, err := reg.Lookup("blob")
	require.NoError(t, err)
	var opts yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte("url: file://"+file), &opts))
	opts = *opts.Content[0]
	src, err := typ.New(&opts, providers.Deps{Directory: dir})
	require.NoError(t, err)
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	sy := syncer.New(st, []syncer.Directory{{Name: dir, Provider: "blob", Source: src,
		Polling: syncer.Polling{MinDelay: time.Hour, MaxDelay: time.Hour}}}, syncer.Options{LeaseTTL: 3 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		sy.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	sync := func() {
		st, _, err := sy.Trigger(ctx, dir, true) // past the mass-deletion guard of a tiny directory
		require.NoError(t, err)
		require.Empty(t, st.LastError)
	}
	sync()

	key := newKey(t)
	f := pomeriumtest.Start(t, key)
	r := runSink(t, st, f, key, []string{dir}, nil)
	caughtUp(t, r, st)
	require.Equal(t, userFields("u1", "Ann", "all", "eng", "platform"), fields(t, f.Get(TypeUser, "u1")))
	require.Equal(t, userFields("u2", "Bob", "all", "sales"), fields(t, f.Get(TypeUser, "u2")))
	require.Equal(t, map[string]any{"id": "eng", "name": "Engineering", "email": ""}, fields(t, f.Get(TypeGroup, "eng")))
	require.Equal(t, 4, f.Count(TypeGroup))

	// Rename u2, move platform from under eng to under sales, delete u3 and group all.
	data.Users = []map[string]any{u("u1", "Ann", "platform"), u("u2", "Bobby", "sales")}
	data.Groups = []map[string]any{{"id": "eng", "name": "Engineering"}, {"id": "platform", "name": "Platform", "group_ids": []string{"sales"}},
		{"id": "sales", "name": "Sales"}}
	data.write(t, file)
	sync()
	caughtUp(t, r, st)
	require.Equal(t, userFields("u1", "Ann", "platform", "sales"), fields(t, f.Get(TypeUser, "u1")))
	require.Equal(t, userFields("u2", "Bobby", "sales"), fields(t, f.Get(TypeUser, "u2")))
	require.Nil(t, f.Get(TypeUser, "u3"))
	require.Nil(t, f.Get(TypeGroup, "all"))
	require.Equal(t, 2, f.Count(TypeUser))
	require.Equal(t, 3, f.Count(TypeGroup))
}
