package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// buildDaemon builds the dirsyncd binary into a temporary directory and returns its path.
func buildDaemon(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "dirsyncd")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// process is a dirsyncd process serving gRPC on addr.
type process struct {
	name   string
	addr   string
	cmd    *exec.Cmd
	exited chan struct{}
	log    *syncBuffer
	conn   *grpc.ClientConn
	sync   dirsyncv1.SyncServiceClient
}

// startProcess runs bin -config cfgFile with DIRSYNC_GRPC_PORT set to a free port (the
// config expands it). The process is killed when the test ends; its log is printed if the
// test failed.
func startProcess(t *testing.T, name, bin, cfgFile string) *process {
	t.Helper()
	addr := freeAddr(t)
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	cmd := exec.Command(bin, "-config", cfgFile)
	cmd.Env = append(os.Environ(), "DIRSYNC_GRPC_PORT="+port)
	return runProcess(t, name, addr, cmd)
}

// runProcess starts cmd, a dirsyncd serving gRPC on addr, killed when the test ends; its
// log is printed if the test failed.
func runProcess(t *testing.T, name, addr string, cmd *exec.Cmd) *process {
	t.Helper()
	p := &process{name: name, addr: addr, cmd: cmd, exited: make(chan struct{}), log: &syncBuffer{}}
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	require.NoError(t, p.cmd.Start())
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			log := p.log.String()
			t.Logf("log of %s (end):\n%s", name, log[max(0, len(log)-8<<10):])
		}
	})
	var err error
	p.conn, err = grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { p.conn.Close() })
	p.sync = dirsyncv1.NewSyncServiceClient(p.conn)
	return p
}

// kill sends SIGKILL and waits for the process to exit.
func (p *process) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// status returns the process's GetSyncStatus answer, waiting for it to serve.
func (p *process) status(ctx context.Context) (*dirsyncv1.GetSyncStatusResponse, error) {
	return p.sync.GetSyncStatus(ctx, &dirsyncv1.GetSyncStatusRequest{}, grpc.WaitForReady(true))
}

// syncBuffer is a bytes.Buffer safe for a process's output and a test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
