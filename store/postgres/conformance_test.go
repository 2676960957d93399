package postgres_test

import (
	"testing"

	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/storetest"
)

// TestConformance runs the store suite unchanged. A suite "path" names a database: the
// first open of a path creates one, and the reopen tests open it again.
func TestConformance(t *testing.T) {
	needPostgres(t)
	databases := make(map[string]string)
	storetest.RunPersistent(t, func(t *testing.T, path string) store.Store {
		dsn, ok := databases[path]
		if !ok {
			dsn = newDatabase(t)
			databases[path] = dsn
		}
		s := open(t, dsn)
		return s
	})
}
