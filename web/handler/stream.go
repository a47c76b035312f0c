package handler

import (
	"context"
	"io"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
)

const (
	// downloadTimeout bounds how long one file download may take to stream.
	downloadTimeout = 30 * time.Minute
	// writeIdle is how long a download may make no progress. The server's
	// write timeout bounds whole responses, too short for a large plan or
	// table over a slow line, so downloads extend it as they go.
	writeIdle = 2 * time.Minute
)

// downloadContext is the context of a streamed file. The body is read after
// the handler returns, when the request's context is already done: the
// reader gets its own.
func downloadContext(c *fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(c.UserContext()), downloadTimeout)
}

// sendStream hands rd to the server as the body of size bytes; the server
// closes it when done, and then ctx's cancel runs.
func sendStream(c *fiber.Ctx, rd io.ReadCloser, size int64, cancel context.CancelFunc) {
	c.Response().SetBodyStream(newStreamBody(c, rd, cancel), int(size))
}

// streamBody is a response body that extends the connection's write
// deadline while it is read, and releases the file when the server is done.
type streamBody struct {
	r     io.Reader
	close func() error
	alive deadline
}

func newStreamBody(c *fiber.Ctx, rd io.ReadCloser, cancel context.CancelFunc) *streamBody {
	return &streamBody{r: rd, close: func() error { defer cancel(); return rd.Close() }, alive: deadline{conn: c.Context().Conn()}}
}

func (b *streamBody) Read(p []byte) (int, error) {
	b.alive.extend()
	return b.r.Read(p)
}

func (b *streamBody) Close() error {
	if b.close == nil {
		return nil
	}
	err := b.close()
	b.close = nil
	return err
}

// progressWriter extends the connection's write deadline while an export
// writes to it.
type progressWriter struct {
	w     io.Writer
	alive deadline
}

func (p *progressWriter) Write(b []byte) (int, error) {
	p.alive.extend()
	return p.w.Write(b)
}

// deadline moves a connection's write deadline writeIdle ahead, at most
// once a second.
type deadline struct {
	conn net.Conn
	last time.Time
}

func (d *deadline) extend() {
	if d.conn == nil || time.Since(d.last) < time.Second {
		return
	}
	d.last = time.Now()
	_ = d.conn.SetWriteDeadline(d.last.Add(writeIdle))
}
