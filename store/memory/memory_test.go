package memory_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/memory"
	"github.com/dirsync/dirsync/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return memory.New() })
}
