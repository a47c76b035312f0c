package handler

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"beteiligungsportal/domain"
)

// maxIdempotencyKey bounds the Idempotency-Key header: a UUID or a hash fits
// many times over, and the key is stored with the submission.
const maxIdempotencyKey = 200

// idempotencyKey reads the Idempotency-Key header of a submission ("" when
// absent): a client that sends the same key again gets the first receipt
// instead of a second submission.
func idempotencyKey(c *fiber.Ctx) (string, error) {
	key := strings.Clone(c.Get("Idempotency-Key"))
	if len(key) > maxIdempotencyKey {
		return "", &domain.ValidationError{Fields: []domain.FieldError{{Field: "Idempotency-Key", Code: "too_long"}}}
	}
	return key, nil
}
