package handler

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"beteiligungsportal/web/export"
	"beteiligungsportal/web/middleware"
)

// exportTimeout bounds one export from the first query to the last byte.
const exportTimeout = 30 * time.Minute

var contentTypes = map[string]string{
	"csv":  "text/csv; charset=utf-8",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"pdf":  "application/pdf",
}

// table is a download written row by row: the assessment table, a survey's
// responses or its aggregates.
type table interface {
	columns() []export.Column
	meta() export.Meta
	// fileName is the download's name without extension.
	fileName() string
	// rows hands every row's cells to each and returns how many it took. An
	// error that must reach the client as a problem is returned as it is.
	rows(ctx context.Context, each func([]any) error) (int, error)
}

// exportContext is the context of one export. Reading may take longer than
// the request's timeout allows, and a streamed body is written after the
// handler returns, when the request's context is done: an export gets its
// own.
func exportContext(c *fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(c.UserContext()), exportTimeout)
}

// sendTable sends t as format (csv, xlsx or pdf) and ends ctx by cancel
// once done. Access must have been checked: from here on a failure after the
// first byte can only cut the download short. A HEAD request gets the
// headers and reads nothing.
func sendTable(ctx context.Context, cancel context.CancelFunc, c *fiber.Ctx, t table, format string, log *slog.Logger) error {
	log = log.With(slog.String("request_id", middleware.RequestID(c)), slog.String("format", format))
	if c.Method() == fiber.MethodHead {
		cancel()
		setDownload(c, t, format)
		return nil
	}
	switch format {
	case "csv":
		return streamCSV(ctx, cancel, c, t, log)
	case "xlsx":
		return sendXLSX(ctx, cancel, c, t, log)
	}
	defer cancel()
	return sendPDF(ctx, c, t)
}

// setDownload sets the headers of the file: an attachment, never cached.
func setDownload(c *fiber.Ctx, t table, format string) {
	c.Set(fiber.HeaderContentType, contentTypes[format])
	c.Set(fiber.HeaderContentDisposition, contentDispositionFor("attachment", t.fileName()+"."+format))
	c.Set(fiber.HeaderCacheControl, "no-store")
}

// streamCSV sends rows as they are read. The headers go out first, so a
// failure later cannot change the status: it is logged, and the download
// ends without its final chunk, which clients report as incomplete rather
// than taking a cut table for the whole one.
func streamCSV(ctx context.Context, cancel context.CancelFunc, c *fiber.Ctx, t table, log *slog.Logger) error {
	setDownload(c, t, "csv")
	pr, pw := io.Pipe()
	out := &progressWriter{w: pw, alive: deadline{conn: c.Context().Conn()}}
	go func() {
		defer cancel()
		bw := bufio.NewWriterSize(out, 64<<10)
		var n int
		w, err := export.NewCSV(bw, t.columns())
		if err == nil {
			n, err = t.rows(ctx, w.Row)
		}
		if err == nil {
			err = w.Flush()
		}
		if err == nil {
			err = bw.Flush()
		}
		if err != nil {
			logCut(ctx, log, n, err)
			_ = pw.CloseWithError(err)
			return
		}
		_ = pw.Close()
	}()
	c.Response().SetBodyStream(pr, -1)
	return nil
}

// sendXLSX reads every row into the workbook before answering, so that a
// failure while reading is still a problem response: the workbook is only
// zipped at the end anyway. Its rows wait in a temporary file meanwhile.
func sendXLSX(ctx context.Context, cancel context.CancelFunc, c *fiber.Ctx, t table, log *slog.Logger) error {
	x, err := export.NewXLSX(t.meta(), t.columns())
	if err != nil {
		cancel()
		return err
	}
	if _, err := t.rows(ctx, x.Row); err != nil {
		_ = x.Close()
		cancel()
		return err
	}
	setDownload(c, t, "xlsx")
	pr, pw := io.Pipe()
	out := &progressWriter{w: pw, alive: deadline{conn: c.Context().Conn()}}
	go func() {
		defer cancel()
		bw := bufio.NewWriterSize(out, 64<<10)
		_, err := x.WriteTo(bw)
		if err == nil {
			err = bw.Flush()
		}
		if cerr := x.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			logCut(ctx, log, x.Rows(), err)
			_ = pw.CloseWithError(err)
			return
		}
		_ = pw.Close()
	}()
	c.Response().SetBodyStream(pr, -1)
	return nil
}

// sendPDF builds the document in memory (the library cannot stream) and
// sends it with its length.
func sendPDF(ctx context.Context, c *fiber.Ctx, t table) error {
	doc, err := export.NewPDF(t.meta(), t.columns())
	if err != nil {
		return err
	}
	if _, err := t.rows(ctx, doc.Row); err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := doc.WriteTo(&buf); err != nil {
		return fmt.Errorf("write pdf: %w", err)
	}
	setDownload(c, t, "pdf")
	return c.Send(buf.Bytes())
}

// logCut logs an export that ended after its first byte. A client that went
// away is no server fault.
func logCut(ctx context.Context, log *slog.Logger, rows int, err error) {
	level := slog.LevelError
	if errors.Is(err, io.ErrClosedPipe) {
		level = slog.LevelWarn
	}
	log.Log(ctx, level, "export cut short", slog.Int("rows", rows), slog.Any("error", err))
}
