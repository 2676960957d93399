package apiclient

// Options are the HTTP options every HTTP provider accepts. Embed them in a provider's
// options struct with the tag `yaml:",inline"`; the registry lists them with the provider's
// own options.
type Options struct {
	CAFile         string `yaml:"ca_file" desc:"PEM file of extra CA certificates to trust, for a self-hosted instance or a TLS-inspecting proxy"`
	MaxConcurrency int    `yaml:"max_concurrency" desc:"most API requests in flight at once for this directory" default:"4"`
}

// Config returns a client configuration for baseURL with these options.
func (o Options) Config(directory, baseURL string) Config {
	return Config{BaseURL: baseURL, Directory: directory, CAFile: o.CAFile, Concurrency: o.MaxConcurrency}
}
