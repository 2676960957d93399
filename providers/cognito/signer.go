package cognito

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/dirsync/dirsync/providers/apiclient"
)

// service is Cognito user pools' SigV4 signing name.
const service = "cognito-idp"

// signer turns one Cognito API call into an apiclient.Request carrying an AWS Signature
// Version 4 for the endpoint. The signature covers every header the request is given
// (Accept is set here so that apiclient adds none but User-Agent, which SigV4 leaves
// unsigned), so the request must go to exactly the signed URL with exactly these headers.
//
// apiclient retries a request with the headers it was given, so a retry reuses the
// signature; AWS accepts a signature for 5 minutes after its X-Amz-Date, longer than
// apiclient's default bound on retry waits (2 minutes).
type signer struct {
	creds    aws.CredentialsProvider
	region   string
	endpoint string
	v4       *v4.Signer
	now      func() time.Time
}

func newSigner(creds aws.CredentialsProvider, region, endpoint string) *signer {
	return &signer{creds: creds, region: region, endpoint: endpoint, v4: v4.NewSigner(), now: time.Now}
}

// request returns the signed POST of body to the operation target
// ("AWSCognitoIdentityProviderService.ListUsers"), labelled endpoint in metrics.
func (s *signer) request(ctx context.Context, endpoint, target string, body []byte) (apiclient.Request, error) {
	creds, err := s.creds.Retrieve(ctx)
	if err != nil {
		return apiclient.Request{}, fmt.Errorf("AWS credentials: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, bytes.NewReader(body))
	if err != nil {
		return apiclient.Request{}, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Accept", "application/json")
	sum := sha256.Sum256(body)
	if err := s.v4.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, s.region, s.now()); err != nil {
		return apiclient.Request{}, fmt.Errorf("signing %s: %w", target, err)
	}
	return apiclient.Request{Method: http.MethodPost, URL: s.endpoint, Endpoint: endpoint, Header: req.Header, Body: body}, nil
}
