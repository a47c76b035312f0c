package handler

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"

	"github.com/gofiber/fiber/v2"
)

// publicJSON sends a public, cacheable answer with a strong ETag; a request
// with a matching If-None-Match gets 304 without a body. CDNs may keep it for a
// minute; statuses change with the clock, so not for longer.
func publicJSON(c *fiber.Ctx, v any) error {
	return publicJSONAs(c, v, fiber.MIMEApplicationJSONCharsetUTF8)
}

// publicJSONAs is publicJSON with another media type (e.g. GeoJSON).
func publicJSONAs(c *fiber.Ctx, v any, contentType string) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	if match := c.Get(fiber.HeaderIfNoneMatch); match != "" && etagMatches(match, etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, contentType)
	return c.Send(body)
}

func etagMatches(header, etag string) bool {
	for _, part := range splitParam(header) {
		if part == "*" || part == etag || part == "W/"+etag {
			return true
		}
	}
	return false
}

// rawJSON embeds already encoded JSON (a stored GeoJSON geometry) as it is.
type rawJSON []byte

// MarshalJSON returns the bytes unchanged.
func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }
