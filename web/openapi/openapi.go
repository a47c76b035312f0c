// Package openapi embeds the hand-written OpenAPI 3.1 description of the JSON API.
package openapi

import _ "embed"

// Document is the OpenAPI document served at /api/openapi.json.
//
//go:embed openapi.json
var Document []byte
