package main

import (
	"bytes"
	"io"
	"testing"
	"time"
)

// TestSlowDownloadIsNotCut: a large document read slowly outlasts the
// server's write timeout, which bounds whole answers; the download pushes the
// deadline on while bytes flow, so the reader still gets every byte.
func TestSlowDownloadIsNotCut(t *testing.T) {
	env := newEnv(t)
	clock := &fakeClock{}
	clock.Set("2026-06-01 10:00:00")
	env.clock = clock.Now
	srv := env.start(func(c *config) { c.WriteTimeout = time.Second })
	editor := srv.client(t)
	editor.login("freiberg-editor@demo.example")
	path := newDraftPlan(t, editor, "2026-06-15", "2026-06-30")

	// Larger than what the loopback's socket buffers hold, so the server must
	// wait for the reader.
	plan := append(samplePDF("Planzeichnung"), bytes.Repeat([]byte("%        padding\n"), 24<<20/18)...)
	doc := decodeDocument(t, mustStatus(t, editor.upload(path+"/documents", "plan.pdf", plan), 201, "upload"))

	res, err := editor.http.Get(srv.URL + doc.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got bytes.Buffer
	started := time.Now()
	for {
		n, err := io.CopyN(&got, res.Body, 1<<20)
		if err == io.EOF || (err == nil && n == 0) {
			break
		}
		if err != nil {
			t.Fatalf("download cut after %d of %d bytes, %v: %v", got.Len(), len(plan), time.Since(started).Round(time.Millisecond), err)
		}
		time.Sleep(120 * time.Millisecond)
	}
	if !bytes.Equal(got.Bytes(), plan) {
		t.Fatalf("got %d bytes, want %d", got.Len(), len(plan))
	}
	if took := time.Since(started); took < 2*time.Second {
		t.Fatalf("the read took %v, not longer than the write timeout: the test proves nothing", took)
	}
}
