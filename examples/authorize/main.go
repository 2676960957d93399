// Command authorize is a small authorization service in the shape of a real dirsync consumer:
// it embeds the dirsync client (a local replica kept current by the Sync stream) and protects
// an HTTP endpoint with a policy file, deciding per request from a user id header set by an
// authenticating proxy in front of it.
//
//	go run ./examples/authorize -policy examples/authorize/policy.yaml
//
// A request without the header is 401; a user the policy does not allow (or that the
// directory does not have) is 403; an allowed one is passed to the protected handler.
// The policy is compiled once the first snapshot is loaded, so group names in it resolve
// against the directory's current groups.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/dirsync/dirsync/client"
	"github.com/dirsync/dirsync/policy"
)

func main() {
	addr := flag.String("dirsync", "127.0.0.1:7070", "dirsyncd gRPC address")
	dir := flag.String("directory", "acme", "the directory users come from")
	policyFile := flag.String("policy", "examples/authorize/policy.yaml", "policy file (YAML)")
	listen := flag.String("listen", "127.0.0.1:8090", "HTTP listen address")
	header := flag.String("user-header", "X-User-Id", "request header carrying the authenticated user id")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, log, *addr, *dir, *policyFile, *listen, *header); err != nil {
		log.Error("authorize", "error", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, log *slog.Logger, addr, dir, policyFile, listen, header string) error {
	doc, err := os.ReadFile(policyFile)
	if err != nil {
		return err
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	c := client.New(conn, client.Options{Directories: []string{dir}, Log: log})
	go func() {
		if err := c.Run(ctx); err != nil {
			log.Error("dirsync client stopped", "error", err)
		}
	}()
	if err := c.WaitReady(ctx); err != nil {
		return fmt.Errorf("waiting for the first snapshot: %w", err)
	}
	pol, err := policy.Compile(doc, dir, c.Replica())
	if err != nil {
		return fmt.Errorf("%s: %w", policyFile, err)
	}
	srv := &http.Server{Addr: listen, Handler: protect(c, pol, dir, header, log, hello), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Info("serving", "listen", listen, "directory", dir, "version", c.Version())
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// hello is the protected endpoint.
var hello = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "hello, %s\n", r.Header.Get("X-User-Id"))
})

// protect admits a request to next only when the policy allows the user named by header.
// Every decision reads the client's current replica: no call to dirsync per request.
func protect(c *client.Client, pol *policy.Policy, dir, header string, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user := r.Header.Get(header)
		if user == "" {
			http.Error(w, "missing "+header, http.StatusUnauthorized)
			return
		}
		allowed, err := pol.Allowed(c.Replica(), user)
		if err != nil || !allowed {
			log.Info("denied", "user", user, "directory", dir, "error", err)
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}
