package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

// options are the global flags: where the server is and how to talk to it.
type options struct {
	addr       string
	timeout    time.Duration
	output     string
	tls        bool
	caFile     string
	certFile   string
	keyFile    string
	serverName string
	token      string
}

func defaultOptions() options {
	return options{addr: "127.0.0.1:7070", timeout: 30 * time.Second, output: "table"}
}

// globalNames are the names register defines; a command's help leaves them out.
var globalNames = map[string]bool{"addr": true, "timeout": true, "o": true, "tls": true, "ca-file": true,
	"cert-file": true, "key-file": true, "server-name": true, "token": true}

// register defines the global flags on fs with o's current values as defaults, so that a flag
// set registered after another keeps what the first one parsed.
func (o *options) register(fs *flag.FlagSet) {
	fs.StringVar(&o.addr, "addr", o.addr, "dirsyncd gRPC address (host:port)")
	fs.DurationVar(&o.timeout, "timeout", o.timeout, "deadline of each call; 0 for none (watch has none)")
	fs.StringVar(&o.output, "o", o.output, "output format: table or json")
	fs.BoolVar(&o.tls, "tls", o.tls, "connect with TLS (default: plaintext)")
	fs.StringVar(&o.caFile, "ca-file", o.caFile, "with --tls: PEM file of the CA certificates that sign the server's (default: the system's)")
	fs.StringVar(&o.certFile, "cert-file", o.certFile, "with --tls: PEM client certificate, for servers that require one (needs --key-file)")
	fs.StringVar(&o.keyFile, "key-file", o.keyFile, "with --tls: PEM private key of --cert-file")
	fs.StringVar(&o.serverName, "server-name", o.serverName, "with --tls: the name to verify in the server's certificate (default: the host of --addr)")
	fs.Var(secret{&o.token}, "token", "bearer token sent as 'authorization: Bearer TOKEN' (default $DIRSYNC_TOKEN)")
}

// finish applies the environment and checks the values the flag package cannot.
func (o *options) finish() error {
	if o.token == "" {
		o.token = os.Getenv("DIRSYNC_TOKEN")
	}
	if o.output != "table" && o.output != "json" {
		return &usageError{fmt.Sprintf("-o %q: want table or json", o.output)}
	}
	if o.timeout < 0 {
		return &usageError{fmt.Sprintf("--timeout %s: must not be negative", o.timeout)}
	}
	return nil
}

// secret is a string flag whose value help never prints.
type secret struct{ p *string }

func (s secret) String() string { return "" }

func (s secret) Set(v string) error {
	*s.p = v
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}
