package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
)

// Enrollment configures device-enrollment links (DeviceEnrollmentService). Enrollment is
// on when a secret is set.
type Enrollment struct {
	// BaseURL is the links' base URL (the Pomerium authenticate URL) for directories without
	// their own enrollment_base_url.
	BaseURL string `yaml:"base_url"`
	// Secret signs new links: standard base64 of at least 32 bytes (like Pomerium's
	// shared_secret). Exclusive with SecretFile.
	Secret Secret `yaml:"secret"`
	// SecretFile holds the secret (surrounding whitespace ignored).
	SecretFile string `yaml:"secret_file"`
	// PreviousSecrets still verify links signed before a rotation.
	PreviousSecrets []Secret `yaml:"previous_secrets"`
	// PreviousSecretsFile holds more previous secrets, one a line (blank lines ignored).
	PreviousSecretsFile string `yaml:"previous_secrets_file"`
	// DeviceTypes are custom device type ids accepted besides "any" and "enclave_only".
	DeviceTypes []string `yaml:"device_types"`
}

// Secret is a secret configuration value; it never prints.
type Secret string

// String hides the value.
func (Secret) String() string { return "(secret)" }

// MarshalYAML hides the value.
func (Secret) MarshalYAML() (any, error) { return "(secret)", nil }

// Enabled reports whether enrollment is configured (a secret or secret file is set).
func (e Enrollment) Enabled() bool { return e.Secret != "" || e.SecretFile != "" }

// Keys reads the secret files and returns the decoded keys, current first; nil when
// enrollment is off. Errors name the offending key.
func (e Enrollment) Keys() ([][]byte, error) {
	if !e.Enabled() {
		return nil, nil
	}
	if e.Secret != "" && e.SecretFile != "" {
		return nil, errors.New("enrollment: set secret or secret_file, not both")
	}
	cur, key := string(e.Secret), "enrollment.secret"
	if e.SecretFile != "" {
		b, err := os.ReadFile(e.SecretFile)
		if err != nil {
			return nil, fmt.Errorf("enrollment.secret_file: %w", err)
		}
		cur, key = strings.TrimSpace(string(b)), "enrollment.secret_file"
	}
	k, err := decodeKey(key, cur)
	if err != nil {
		return nil, err
	}
	keys := [][]byte{k}
	for i, s := range e.PreviousSecrets {
		k, err := decodeKey(fmt.Sprintf("enrollment.previous_secrets[%d]", i), string(s))
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if e.PreviousSecretsFile != "" {
		b, err := os.ReadFile(e.PreviousSecretsFile)
		if err != nil {
			return nil, fmt.Errorf("enrollment.previous_secrets_file: %w", err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if line = strings.TrimSpace(line); line == "" {
				continue
			}
			k, err := decodeKey(fmt.Sprintf("enrollment.previous_secrets_file: line %d", i+1), line)
			if err != nil {
				return nil, err
			}
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// decodeKey decodes a base64 secret without ever printing it.
func decodeKey(key, s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(s)
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: not standard base64", key)
	case len(b) < 32:
		return nil, fmt.Errorf("%s: %d bytes, need at least 32", key, len(b))
	}
	return b, nil
}

// validate checks the enrollment section and the directories' enrollment_base_url.
func (e Enrollment) validate(dirs []Directory) []error {
	var errs []error
	checkURL := func(key, v string) {
		if v == "" {
			return
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
			errs = append(errs, fmt.Errorf("%s: %q is not an absolute http(s) URL without a query", key, v))
		}
	}
	checkURL("enrollment.base_url", e.BaseURL)
	for _, d := range dirs {
		checkURL(fmt.Sprintf("directory %q: enrollment_base_url", d.Name), d.EnrollmentBaseURL)
	}
	if !e.Enabled() {
		if e.BaseURL != "" || len(e.PreviousSecrets) > 0 || e.PreviousSecretsFile != "" || len(e.DeviceTypes) > 0 {
			errs = append(errs, errors.New("enrollment.secret: required when enrollment is configured (or secret_file)"))
		}
		return errs
	}
	if _, err := e.Keys(); err != nil {
		errs = append(errs, err)
	}
	for i, t := range e.DeviceTypes {
		switch {
		case t == "" || t == "any" || t == "enclave_only":
			errs = append(errs, fmt.Errorf("enrollment.device_types[%d]: %q is empty or built in", i, t))
		case slices.Contains(e.DeviceTypes[:i], t):
			errs = append(errs, fmt.Errorf("enrollment.device_types[%d]: %q listed twice", i, t))
		}
	}
	return errs
}
