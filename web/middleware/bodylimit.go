package middleware

import (
	"github.com/gofiber/fiber/v2"

	"beteiligungsportal/web/problem"
)

// BodyLimit refuses bodies over limit bytes with 413, except on the routes
// for which exempt is true. Fiber's own limit is one number for the whole
// server; it is set to the larger upload limit, and this keeps every other
// route at the smaller one.
func BodyLimit(limit int, exempt func(*fiber.Ctx) bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if bodySize(c) > limit && !exempt(c) {
			return problem.New(fiber.StatusRequestEntityTooLarge, "payload_too_large", "detail.payload_too_large")
		}
		return c.Next()
	}
}

// bodySize is the length of the request body. The server has read exactly
// Content-Length bytes when the header is given; asking for the body instead
// would serialise a multipart form the server already parsed into a copy of
// every upload. A chunked body has no such header and is measured.
func bodySize(c *fiber.Ctx) int {
	if n := c.Request().Header.ContentLength(); n >= 0 {
		return n
	}
	return len(c.Request().Body())
}
