// Package handler holds the HTTP handlers of the JSON API. Handlers are thin:
// parse, validate, call a use case with the request's user context, render.
package handler

import (
	"github.com/gofiber/fiber/v2"

	"beteiligungsportal/app/i18n"
)

// created sends v as 201 with a Location header.
func created(c *fiber.Ctx, location string, v any) error {
	c.Location(location)
	return c.Status(fiber.StatusCreated).JSON(v)
}

// list is the envelope of collection responses.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func problemText(key string) string { return i18n.T(i18n.Default, key) }
