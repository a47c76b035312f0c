// Package domain holds the participation model's shared error categories. Specific
// rule violations wrap one of these so that delivery layers can map them to a
// response without knowing every rule.
package domain

import (
	"errors"
	"strings"
)

// Error categories. Every error a use case returns on purpose wraps one of them.
var (
	ErrNotFound        = errors.New("not found")
	ErrConflict        = errors.New("conflict")
	ErrInvalid         = errors.New("invalid")
	ErrForbidden       = errors.New("forbidden")
	ErrUnauthenticated = errors.New("unauthenticated")
	ErrClosed          = errors.New("closed")
)

// RuleError is a named rule violation. Code is a stable message key that the
// delivery layer translates; Kind is the category it belongs to.
type RuleError struct {
	Kind error
	Code string
}

// NewRule returns a rule error of the given category and message key.
func NewRule(kind error, code string) *RuleError { return &RuleError{Kind: kind, Code: code} }

func (e *RuleError) Error() string { return e.Code }

// Unwrap lets errors.Is match the category.
func (e *RuleError) Unwrap() error { return e.Kind }

// FieldError says which input field breaks which rule; Code is a message key.
type FieldError struct {
	Field string
	Code  string
}

// ValidationError collects every field that is wrong, so a client can show all of
// them at once.
type ValidationError struct {
	Fields []FieldError
}

// Add records one more offending field.
func (e *ValidationError) Add(field, code string) {
	e.Fields = append(e.Fields, FieldError{field, code})
}

// Err returns nil when no field was recorded, so callers can write `return v.Err()`.
func (e *ValidationError) Err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Code
	}
	return "invalid input: " + strings.Join(parts, ", ")
}

// Unwrap lets errors.Is(err, ErrInvalid) match.
func (e *ValidationError) Unwrap() error { return ErrInvalid }
