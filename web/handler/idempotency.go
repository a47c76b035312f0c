package handler

import (
	"strings"
	"unicode"
	"unicode/utf8"

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
	switch {
	case len(key) > maxIdempotencyKey:
		return "", &domain.ValidationError{Fields: []domain.FieldError{{Field: "Idempotency-Key", Code: "too_long"}}}
	case !utf8.ValidString(key) || strings.ContainsFunc(key, unicode.IsControl):
		// The key is stored as text: PostgreSQL refuses NUL and invalid UTF-8,
		// which would otherwise end the request with a 500.
		return "", &domain.ValidationError{Fields: []domain.FieldError{{Field: "Idempotency-Key", Code: "idempotency_key_invalid"}}}
	}
	return key, nil
}
