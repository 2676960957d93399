package postgres_test

import (
	"bytes"
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/postgres"
)

// TestTerminatedSessionsUnderLoad kills every session of the database, again and again,
// while writers and a reader work: the pool reconnects, and nothing is lost or doubled.
func TestTerminatedSessionsUnderLoad(t *testing.T) {
	dsn := newDatabase(t)
	s, tail := open(t, dsn), open(t, dsn)
	ctx, stop := context.WithCancel(context.Background())
	killer, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer killer.Close(context.Background())
	var kills atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			var n int64
			if err := killer.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n); err == nil {
				kills.Add(n)
			}
			time.Sleep(15 * time.Millisecond)
		}
	}()
	l := &load{writers: 2, batches: 40, size: 5}
	l.run(t, s, tail)
	stop()
	<-done
	t.Logf("%d sessions killed, %d Apply calls failed (%d of unknown outcome)", kills.Load(), l.failures.Load(), l.unknown.Load())
	require.GreaterOrEqual(t, kills.Load(), int64(10), "too few sessions killed: the test proves nothing")
	l.check(t, s)
}

// cutter dials connections that it can cut at the client's next COMMIT, or refuse.
type cutter struct {
	mode      atomic.Int32 // the cut of the next COMMIT
	cuts      atomic.Int32
	down      atomic.Bool // refuse to dial, and fail every write
	downAtCut atomic.Bool // set down when cutting
}

const (
	cutNone   int32 = iota
	cutBefore       // close the connection instead of sending COMMIT
	cutAfter        // send COMMIT, then close the connection before its answer
)

func (c *cutter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if c.down.Load() {
		return nil, &net.OpError{Op: "dial", Net: network, Err: net.ErrClosed}
	}
	conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &cutConn{Conn: conn, c: c}, nil
}

type cutConn struct {
	net.Conn
	c *cutter
}

func (cc *cutConn) Write(b []byte) (int, error) {
	if cc.c.down.Load() {
		_ = cc.Conn.Close()
		return 0, net.ErrClosed
	}
	if len(b) > 0 && b[0] == 'Q' && bytes.Contains(b, []byte("commit\x00")) {
		switch cc.c.mode.Swap(cutNone) {
		case cutBefore:
			cc.cut()
			return 0, net.ErrClosed
		case cutAfter:
			n, err := cc.Conn.Write(b)
			cc.cut()
			return n, err
		}
	}
	return cc.Conn.Write(b)
}

func (cc *cutConn) cut() {
	_ = cc.Conn.Close()
	if cc.c.downAtCut.Load() {
		cc.c.down.Store(true)
	}
	cc.c.cuts.Add(1)
}

// TestLostCommit cuts the connection of an Apply at its COMMIT: Apply learns the outcome
// from the database and reports exactly what happened; when the database cannot be reached
// to ask, it says the outcome is unknown.
func TestLostCommit(t *testing.T) {
	for _, tc := range []struct {
		name      string
		cut       int32
		down      bool // the database stays unreachable for longer than the resolve timeout
		committed bool
	}{
		{"cut before COMMIT is sent", cutBefore, false, false},
		{"cut after COMMIT is sent", cutAfter, false, true},
		{"cut after COMMIT is sent, then unreachable", cutAfter, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := newDatabase(t)
			c := &cutter{}
			s := open(t, dsn, postgres.WithResolveTimeout(500*time.Millisecond),
				postgres.WithPoolConfig(func(cfg *pgxpool.Config) { cfg.ConnConfig.DialFunc = c.dial }))
			ctx := context.Background()
			_, err := s.Apply(ctx, store.Batch{Directory: "d", Records: users("d", "before", 1)})
			require.NoError(t, err)

			c.mode.Store(tc.cut)
			c.downAtCut.Store(tc.down)
			v, err := s.Apply(ctx, store.Batch{Directory: "d", Records: users("d", "cut", 3)})
			require.Equal(t, int32(1), c.cuts.Load(), "the COMMIT was cut")
			switch {
			case tc.down:
				require.ErrorIs(t, err, postgres.ErrCommitUnknown)
				c.down.Store(false)
			case tc.committed:
				require.NoError(t, err)
				require.Equal(t, uint64(4), v.Latest)
			default:
				require.Error(t, err)
				require.NotErrorIs(t, err, postgres.ErrCommitUnknown)
			}

			// The store says the same, has no gap, and goes on.
			next, err := s.Apply(ctx, store.Batch{Directory: "d", Records: users("d", "after", 1)})
			require.NoError(t, err)
			all, err := s.Changes(ctx, 0, 0)
			require.NoError(t, err)
			want := []string{"before-000", "after-000"}
			if tc.committed {
				want = []string{"before-000", "cut-000", "cut-001", "cut-002", "after-000"}
			}
			var ids []string
			for i, c := range all {
				require.Equal(t, uint64(i+1), c.Version)
				ids = append(ids, c.ID)
			}
			require.Equal(t, want, ids)
			require.Equal(t, uint64(len(want)), next.Latest)
		})
	}
}
