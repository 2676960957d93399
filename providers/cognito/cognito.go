// Package cognito is the `cognito` provider: it reads the users, groups and group
// memberships of one Amazon Cognito user pool through the Cognito Identity Provider API
// (AWS JSON 1.1). Requests are signed with AWS Signature Version 4 by the AWS SDK's signer
// and sent through apiclient, so retries, throttling back-off, metrics and progress are the
// shared ones. Credentials are the configured access key or the AWS default credential
// chain. It owns the Cognito request shapes and their mapping to dirsync records; it never
// writes to the pool.
package cognito

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
)

// Options configures a Cognito directory. The tags are its schema.
type Options struct {
	Region          string `yaml:"region" required:"true" desc:"AWS Region of the user pool, e.g. us-east-1"`
	UserPoolID      string `yaml:"user_pool_id" required:"true" desc:"ID of the Cognito user pool, e.g. us-east-1_AbCdEf123"`
	AccessKeyID     string `yaml:"access_key_id" desc:"AWS access key ID; omit it (and secret_access_key) to use the AWS default credential chain (environment, shared config, SSO, web identity, ECS or EC2 role)"`
	SecretAccessKey string `yaml:"secret_access_key" secret:"true" desc:"AWS secret access key of access_key_id"`
	SessionToken    string `yaml:"session_token" secret:"true" desc:"AWS session token, for temporary credentials given as access_key_id and secret_access_key"`
	Endpoint        string `yaml:"endpoint" desc:"Cognito Identity Provider endpoint URL (default https://cognito-idp.REGION.amazonaws.com/, .com.cn in China), for a VPC endpoint or a test server"`

	apiclient.Options `yaml:",inline"`
}

// Register adds the cognito provider type to r.
func Register(r *providers.Registry) {
	providers.Register(r, "cognito", "Amazon Cognito",
		func(o Options, deps providers.Deps) (providers.Provider, error) {
			return newProvider(context.Background(), o, deps.Directory)
		})
}

// provider reads one user pool; every Sync is a full read.
type provider struct {
	client *apiclient.Client
	signer *signer
	poolID string
}

var (
	regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	poolPattern   = regexp.MustCompile(`^[\w-]+_[0-9a-zA-Z]+$`) // Cognito's documented pattern
)

// defaultEndpoint is the public Cognito Identity Provider endpoint of region.
func defaultEndpoint(region string) string {
	domain := "amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		domain = "amazonaws.com.cn"
	}
	return "https://cognito-idp." + region + "." + domain + "/"
}

// newProvider checks o and returns its provider. Without keys, the AWS default credential
// chain is loaded (from the environment and shared files; credentials themselves are
// fetched at the first request). tune, if given, adjusts the HTTP client's configuration.
func newProvider(ctx context.Context, o Options, directory string, tune ...func(*apiclient.Config)) (*provider, error) {
	switch {
	case o.Region == "":
		return nil, fmt.Errorf("option %q: required", "region")
	case !regionPattern.MatchString(o.Region):
		return nil, fmt.Errorf("option %q: %q is not an AWS Region name such as us-east-1", "region", o.Region)
	case o.UserPoolID == "":
		return nil, fmt.Errorf("option %q: required", "user_pool_id")
	case !poolPattern.MatchString(o.UserPoolID):
		return nil, fmt.Errorf("option %q: %q is not a user pool ID such as %s_AbCdEf123", "user_pool_id", o.UserPoolID, o.Region)
	case !strings.HasPrefix(o.UserPoolID, o.Region+"_"):
		return nil, fmt.Errorf("option %q: pool %q is not in region %q (option %q)", "user_pool_id", o.UserPoolID, o.Region, "region")
	case o.AccessKeyID != "" && o.SecretAccessKey == "":
		return nil, fmt.Errorf("option %q: required with %q", "secret_access_key", "access_key_id")
	case o.AccessKeyID == "" && o.SecretAccessKey != "":
		return nil, fmt.Errorf("option %q: required with %q", "access_key_id", "secret_access_key")
	case o.SessionToken != "" && o.AccessKeyID == "":
		return nil, fmt.Errorf("option %q: needs %q and %q", "session_token", "access_key_id", "secret_access_key")
	}
	endpoint := o.Endpoint
	if endpoint == "" {
		endpoint = defaultEndpoint(o.Region)
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("option %q: %q is not an absolute https URL", "endpoint", endpoint)
	}
	if u.Path == "" {
		u.Path = "/"
	}

	var creds aws.CredentialsProvider
	if o.AccessKeyID != "" {
		creds = credentials.NewStaticCredentialsProvider(o.AccessKeyID, o.SecretAccessKey, o.SessionToken)
	} else {
		cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(o.Region))
		if err != nil {
			return nil, fmt.Errorf("AWS default credential chain: %w", err)
		}
		creds = cfg.Credentials
	}

	cfg := o.Options.Config(directory, u.String())
	cfg.Throttled = throttled
	for _, f := range tune {
		f(&cfg)
	}
	c, err := apiclient.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("option %q: %w", "endpoint", err)
	}
	return &provider{client: c, signer: newSigner(creds, o.Region, u.String()), poolID: o.UserPoolID}, nil
}
