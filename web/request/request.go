// Package request decodes and validates request bodies and parameters: strict JSON
// (unknown fields and malformed input are 400), struct validation with German
// messages (422), and IDs from the path.
package request

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"reflect"
	"strings"

	"github.com/go-playground/locales/de"
	ut "github.com/go-playground/universal-translator"
	"github.com/go-playground/validator/v10"
	detrans "github.com/go-playground/validator/v10/translations/de"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"beteiligungsportal/app/i18n"
	"beteiligungsportal/web/problem"
)

// Validator validates DTOs; it is safe for concurrent use and caches struct
// metadata, so there is one per process.
type Validator struct {
	v     *validator.Validate
	trans ut.Translator
}

// NewValidator returns a validator whose messages are German and name JSON fields.
func NewValidator() (*Validator, error) {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	german := de.New()
	trans, _ := ut.New(german, german).GetTranslator("de")
	if err := detrans.RegisterDefaultTranslations(v, trans); err != nil {
		return nil, err
	}
	return &Validator{v: v, trans: trans}, nil
}

// Struct validates s and returns a 422 problem listing every offending field.
func (val *Validator) Struct(s any) error {
	err := val.v.Struct(s)
	if err == nil {
		return nil
	}
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return err
	}
	p := problem.New(fiber.StatusUnprocessableEntity, "validation", "detail.validation")
	for _, fe := range ves {
		field := fe.Namespace()
		if _, rest, ok := strings.Cut(field, "."); ok {
			field = rest // drop the struct's own name
		}
		p.Fields = append(p.Fields, problem.FieldProblem{Field: field, Code: fe.Tag(), Message: fe.Translate(val.trans)})
	}
	return p
}

// JSON decodes the body into v strictly and then validates it.
func (val *Validator) JSON(c *fiber.Ctx, v any) error {
	if err := DecodeJSON(c, v); err != nil {
		return err
	}
	return val.Struct(v)
}

// DecodeJSON decodes the body into v: the media type must be JSON, unknown fields
// and trailing data are refused. Strings are copied out of Fiber's buffers by the
// decoder, so v may outlive the handler.
func DecodeJSON(c *fiber.Ctx, v any) error {
	mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || (mt != fiber.MIMEApplicationJSON && !strings.HasSuffix(mt, "+json")) {
		return problem.New(fiber.StatusUnsupportedMediaType, "unsupported_media_type", "detail.unsupported_media_type")
	}
	return DecodeJSONBytes(c.Body(), v)
}

// DecodeJSONBytes decodes JSON strictly, as DecodeJSON does with a body.
func DecodeJSONBytes(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return problem.New(fiber.StatusBadRequest, "malformed_json", "detail.trailing_json")
	}
	return nil
}

func jsonProblem(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return withCause(problem.New(fiber.StatusBadRequest, "malformed_json", "detail.malformed_json", syn.Offset), err)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = i18n.T(i18n.Default, "jsontype.root")
		}
		return withCause(problem.New(fiber.StatusBadRequest, "malformed_json", "detail.json_type", field, jsonKind(typ.Type)), err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return withCause(problem.New(fiber.StatusBadRequest, "malformed_json", "detail.malformed_json_eof"), err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return withCause(problem.New(fiber.StatusBadRequest, "unknown_field", "detail.unknown_field", name), err)
	}
	return withCause(problem.New(fiber.StatusBadRequest, "malformed_json", "detail.malformed_json_eof"), err)
}

func withCause(p *problem.Error, err error) *problem.Error {
	p.Cause = err
	return p
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return i18n.T(i18n.Default, "jsontype.text")
	case reflect.Bool:
		return i18n.T(i18n.Default, "jsontype.bool")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return i18n.T(i18n.Default, "jsontype.number")
	case reflect.Slice, reflect.Array:
		return i18n.T(i18n.Default, "jsontype.list")
	}
	return i18n.T(i18n.Default, "jsontype.object")
}

// ID parses the path parameter name as a UUID; a bad one is 404 for the resource
// it would have named, with a detail that says why.
func ID(c *fiber.Ctx, name string) (uuid.UUID, error) {
	raw := c.Params(name)
	id, err := uuid.Parse(raw)
	if err != nil {
		return uuid.Nil, problem.New(fiber.StatusNotFound, "not_found", "detail.invalid_id", strings.Clone(raw))
	}
	return id, nil
}
