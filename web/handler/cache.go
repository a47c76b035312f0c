package handler

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"beteiligungsportal/web/middleware"
)

// publicJSON sends an answer that is the same for every reader. The shared
// cache (web/middleware) adds its ETag, Last-Modified and Cache-Control, keeps
// it for anonymous readers and answers conditional requests with 304.
func publicJSON(c *fiber.Ctx, v any) error {
	return publicJSONAs(c, v, fiber.MIMEApplicationJSONCharsetUTF8)
}

// publicJSONAs is publicJSON with another media type (e.g. GeoJSON).
func publicJSONAs(c *fiber.Ctx, v any, contentType string) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	middleware.MarkPublic(c)
	c.Set(fiber.HeaderContentType, contentType)
	return c.Send(body)
}

// rawJSON embeds already encoded JSON (a stored GeoJSON geometry) as it is.
type rawJSON []byte

// MarshalJSON returns the bytes unchanged.
func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }
