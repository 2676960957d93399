package main

import (
	"github.com/dirsync/dirsync/config"
	"github.com/dirsync/dirsync/server"
)

// enrollmentOptions builds the server's enrollment options from the configuration, reading
// the secret files. Zero options (enrollment off) when no secret is configured.
func enrollmentOptions(cfg config.Config) (server.EnrollmentOptions, error) {
	keys, err := cfg.Enrollment.Keys()
	if err != nil || keys == nil {
		return server.EnrollmentOptions{}, err
	}
	perDir := map[string]string{}
	for _, d := range cfg.Directories {
		if d.EnrollmentBaseURL != "" {
			perDir[d.Name] = d.EnrollmentBaseURL
		}
	}
	return server.EnrollmentOptions{BaseURL: cfg.Enrollment.BaseURL, DirectoryBaseURLs: perDir,
		Secrets: keys, DeviceTypes: cfg.Enrollment.DeviceTypes}, nil
}
