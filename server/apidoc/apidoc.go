// Package apidoc embeds the OpenAPI document that `buf generate` writes beside this file.
package apidoc

import _ "embed"

// OpenAPI is the OpenAPI (Swagger 2.0) document of the REST gateway.
//
//go:embed dirsync.swagger.json
var OpenAPI []byte
