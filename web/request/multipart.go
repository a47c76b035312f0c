package request

import (
	"io"
	"mime"
	"mime/multipart"
	"strings"

	"github.com/gofiber/fiber/v2"

	"beteiligungsportal/domain"
	"beteiligungsportal/web/problem"
)

// File is an uploaded file of a multipart request; its content stays
// readable (and seekable) until the request's close function runs.
type File struct {
	Name    string
	Size    int64
	Content io.ReadSeeker
}

// JSONWithFiles reads a body that is either JSON or multipart/form-data with
// the JSON in the form field jsonField and files in fileField, decodes and
// validates the JSON into v, and returns the files. The caller must call
// close when done with them.
func (val *Validator) JSONWithFiles(c *fiber.Ctx, jsonField, fileField string, v any) (files []File, close func(), err error) {
	close = func() {}
	if mt, _, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); mt != fiber.MIMEMultipartForm {
		return nil, close, val.JSON(c, v)
	}
	form, err := c.MultipartForm()
	if err != nil {
		return nil, close, problem.New(fiber.StatusBadRequest, "bad_request", "detail.multipart_invalid")
	}
	vals := form.Value[jsonField]
	if len(vals) != 1 {
		return nil, close, &domain.ValidationError{Fields: []domain.FieldError{{Field: jsonField, Code: "required"}}}
	}
	if err := DecodeJSONBytes([]byte(vals[0]), v); err != nil {
		return nil, close, err
	}
	if err := val.Struct(v); err != nil {
		return nil, close, err
	}
	var open []multipart.File
	close = func() {
		for _, f := range open {
			_ = f.Close()
		}
	}
	for _, fh := range form.File[fileField] {
		f, err := fh.Open()
		if err != nil {
			close()
			return nil, func() {}, err
		}
		open = append(open, f)
		files = append(files, File{Name: strings.Clone(fh.Filename), Size: fh.Size, Content: f})
	}
	return files, close, nil
}
