package gitlab

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves goroutines behind (the crawls fan out).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
