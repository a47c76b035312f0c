package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
)

// testStore runs the behaviour every Store must have. Keys are placed under
// prefix, so stores that outlive the test (the S3 bucket) do not mix runs.
func testStore(t *testing.T, st Store, prefix string) {
	t.Helper()
	k := func(name string) string { return prefix + "/" + name }
	tests := []struct {
		name string
		run  func(t *testing.T, st Store, key func(string) string)
	}{
		{"PutStatOpen", testPutStatOpen},
		{"Ranges", testRanges},
		{"ReaderSeekAndReadAt", testReaderSeekAndReadAt},
		{"ServeContent", testServeContent},
		{"Overwrite", testOverwrite},
		{"Delete", testDelete},
		{"NotFound", testNotFound},
		{"InvalidKeys", testInvalidKeys},
		{"InvalidContentType", testInvalidContentType},
		{"FailedPutLeavesNothing", testFailedPut},
		{"ConcurrentPuts", testConcurrentPuts},
		{"ReaderDuringOverwrite", testReaderDuringOverwrite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, st, func(name string) string { return k(strings.ToLower(tt.name) + "/" + name) })
		})
	}
}

// pattern returns n bytes that differ at nearby offsets, so a read from a
// wrong offset shows up.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7+i/251) ^ seed
	}
	return b
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// randomPrefix returns a key segment unique to this test run.
func randomPrefix(t testing.TB) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "test-" + hex.EncodeToString(b[:])
}

func mustPut(t *testing.T, st Store, key string, data []byte, ct string) Object {
	t.Helper()
	obj, err := st.Put(context.Background(), key, bytes.NewReader(data), int64(len(data)), ct)
	if err != nil {
		t.Fatalf("Put(%s): %v", key, err)
	}
	return obj
}

func readAll(t *testing.T, st Store, key string) ([]byte, Object) {
	t.Helper()
	r, obj, err := st.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open(%s): %v", key, err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return got, obj
}

func testPutStatOpen(t *testing.T, st Store, key func(string) string) {
	ctx := context.Background()
	tests := []struct {
		name        string
		data        []byte
		unknownSize bool
		contentType string
		wantType    string
	}{
		{"empty", nil, false, "text/plain", "text/plain"},
		{"small", []byte("Stellungnahme zum Bebauungsplan"), false, "text/plain; charset=utf-8", "text/plain; charset=utf-8"},
		{"default content type", []byte("x"), false, "", DefaultContentType},
		{"unknown size", pattern(70_000, 1), true, "application/pdf", "application/pdf"},
		// Larger than the S3 store's in-memory spool, and than one read buffer.
		{"large", pattern(3<<20+17, 2), false, "image/jpeg", "image/jpeg"},
		{"large unknown size", pattern(2<<20+5, 3), true, "image/png", "image/png"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := key(fmt.Sprintf("obj-%d", i))
			size := int64(len(tt.data))
			if tt.unknownSize {
				size = -1
			}
			// OneByteReader and DataErrReader catch code that relies on
			// full reads or mishandles data returned together with io.EOF.
			r := iotest.DataErrReader(bytes.NewReader(tt.data))
			if i%2 == 0 {
				r = iotest.HalfReader(r)
			}
			want := Object{Key: k, Size: int64(len(tt.data)), SHA256: digest(tt.data), ContentType: tt.wantType}
			got, err := st.Put(ctx, k, r, size, tt.contentType)
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			if got != want {
				t.Errorf("Put returned %+v, want %+v", got, want)
			}
			if got, err := st.Stat(ctx, k); err != nil || got != want {
				t.Errorf("Stat = %+v, %v; want %+v", got, err, want)
			}
			data, obj := readAll(t, st, k)
			if obj != want {
				t.Errorf("Open returned %+v, want %+v", obj, want)
			}
			if !bytes.Equal(data, tt.data) {
				t.Errorf("read %d bytes (sha256 %s), want %d bytes (sha256 %s)", len(data), digest(data), len(tt.data), want.SHA256)
			}
		})
	}
}

func testRanges(t *testing.T, st Store, key func(string) string) {
	ctx := context.Background()
	data := pattern(1000, 4)
	k := key("doc")
	mustPut(t, st, k, data, "application/pdf")
	tests := []struct {
		name           string
		offset, length int64
		wantErr        error
	}{
		{"start", 0, 10, nil},
		{"middle", 500, 17, nil},
		{"end", 990, 10, nil},
		{"last byte", 999, 1, nil},
		{"whole", 0, 1000, nil},
		{"beyond end", 995, 10, ErrInvalidRange},
		{"at end", 1000, 1, ErrInvalidRange},
		{"far beyond", 5000, 10, ErrInvalidRange},
		{"negative offset", -1, 5, ErrInvalidRange},
		{"zero length", 10, 0, ErrInvalidRange},
		{"negative length", 10, -3, ErrInvalidRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := st.OpenRange(ctx, k, tt.offset, tt.length)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("OpenRange(%d, %d) error = %v, want %v", tt.offset, tt.length, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("OpenRange(%d, %d): %v", tt.offset, tt.length, err)
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err != nil {
				t.Fatalf("read range: %v", err)
			}
			if want := data[tt.offset : tt.offset+tt.length]; !bytes.Equal(got, want) {
				t.Errorf("range (%d, %d) = %x, want %x", tt.offset, tt.length, got, want)
			}
		})
	}
}

func testReaderSeekAndReadAt(t *testing.T, st Store, key func(string) string) {
	data := pattern(3<<20+123, 5) // more than one window of the S3 reader
	k := key("doc")
	mustPut(t, st, k, data, "")
	r, obj, err := st.Open(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	size := obj.Size

	if end, err := r.Seek(0, io.SeekEnd); err != nil || end != size {
		t.Fatalf("Seek(0, SeekEnd) = %d, %v; want %d", end, err, size)
	}
	if n, err := r.Read(make([]byte, 8)); n != 0 || err != io.EOF {
		t.Errorf("Read at end = %d, %v; want 0, EOF", n, err)
	}

	seeks := []struct {
		offset int64
		whence int
		want   int64
	}{
		{500, io.SeekStart, 500},
		{100, io.SeekCurrent, 600 + 16}, // after reading 16 bytes at 500
		{-10, io.SeekEnd, size - 10},
		{1 << 20, io.SeekStart, 1 << 20},
	}
	for _, s := range seeks {
		pos, err := r.Seek(s.offset, s.whence)
		if err != nil || pos != s.want {
			t.Fatalf("Seek(%d, %d) = %d, %v; want %d", s.offset, s.whence, pos, err, s.want)
		}
		buf := make([]byte, 16)
		n, err := io.ReadFull(r, buf)
		want := data[pos:min(pos+16, size)]
		if !bytes.Equal(buf[:n], want) {
			t.Errorf("after Seek to %d read %x, want %x (err %v)", pos, buf[:n], want, err)
		}
	}
	if _, err := r.Seek(-1, io.SeekStart); err == nil {
		t.Error("Seek to a negative position succeeded")
	}

	// Reading the rest from the middle crosses window boundaries.
	if _, err := r.Seek(1000, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(rest, data[1000:]) {
		t.Errorf("ReadAll from 1000: %d bytes, err %v; want %d bytes", len(rest), err, len(data)-1000)
	}

	readAts := []struct {
		name    string
		off     int64
		n       int
		wantN   int
		wantEOF bool
	}{
		{"start", 0, 10, 10, false},
		{"middle", size / 2, 100, 100, false},
		{"up to end", size - 10, 10, 10, false},
		{"across end", size - 10, 20, 10, true},
		{"at end", size, 5, 0, true},
	}
	for _, ra := range readAts {
		buf := make([]byte, ra.n)
		n, err := r.ReadAt(buf, ra.off)
		if n != ra.wantN || (err == io.EOF) != ra.wantEOF || (err != nil && err != io.EOF) {
			t.Errorf("ReadAt %s: n=%d err=%v; want n=%d EOF=%v", ra.name, n, err, ra.wantN, ra.wantEOF)
			continue
		}
		if want := data[ra.off : ra.off+int64(ra.wantN)]; !bytes.Equal(buf[:n], want) {
			t.Errorf("ReadAt %s = %x, want %x", ra.name, buf[:n], want)
		}
	}
	if _, err := r.ReadAt(make([]byte, 1), -1); err == nil {
		t.Error("ReadAt a negative offset succeeded")
	}
}

// testServeContent checks the use the Reader is designed for: an HTTP
// handler answering Range requests with http.ServeContent.
func testServeContent(t *testing.T, st Store, key func(string) string) {
	data := pattern(200_000, 6)
	k := key("plan.pdf")
	mustPut(t, st, k, data, "application/pdf")
	h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r, obj, err := st.Open(req.Context(), k)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer r.Close()
		w.Header().Set("Content-Type", obj.ContentType)
		w.Header().Set("ETag", `"`+obj.SHA256+`"`)
		http.ServeContent(w, req, "", time.Time{}, r)
	})
	tests := []struct {
		rangeHeader string
		wantStatus  int
		want        []byte
	}{
		{"", http.StatusOK, data},
		{"bytes=0-99", http.StatusPartialContent, data[:100]},
		{"bytes=100000-100199", http.StatusPartialContent, data[100000:100200]},
		{"bytes=-50", http.StatusPartialContent, data[len(data)-50:]},
		{"bytes=199990-", http.StatusPartialContent, data[199990:]},
		{"bytes=300000-300010", http.StatusRequestedRangeNotSatisfiable, nil},
	}
	for _, tt := range tests {
		t.Run(tt.rangeHeader, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/file", nil)
			if tt.rangeHeader != "" {
				req.Header.Set("Range", tt.rangeHeader)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d (%s)", rec.Code, tt.wantStatus, rec.Body.String())
			}
			if tt.want != nil && !bytes.Equal(rec.Body.Bytes(), tt.want) {
				t.Errorf("body: %d bytes, want %d bytes", rec.Body.Len(), len(tt.want))
			}
		})
	}
}

func testOverwrite(t *testing.T, st Store, key func(string) string) {
	k := key("doc")
	mustPut(t, st, k, pattern(5000, 7), "application/pdf")
	second := []byte("shorter replacement")
	want := mustPut(t, st, k, second, "text/plain")
	got, obj := readAll(t, st, k)
	if !bytes.Equal(got, second) || obj != want {
		t.Errorf("after overwrite read %q %+v, want %q %+v", got, obj, second, want)
	}
}

func testDelete(t *testing.T, st Store, key func(string) string) {
	ctx := context.Background()
	k, sibling := key("a/doc"), key("a/other")
	mustPut(t, st, k, []byte("to be deleted"), "")
	mustPut(t, st, sibling, []byte("stays"), "")
	if err := st.Delete(ctx, k); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := st.Stat(ctx, k); !errors.Is(err, ErrNotFound) {
		t.Errorf("Stat after Delete: %v, want ErrNotFound", err)
	}
	if err := st.Delete(ctx, k); err != nil {
		t.Errorf("second Delete: %v, want nil", err)
	}
	if got, _ := readAll(t, st, sibling); string(got) != "stays" {
		t.Errorf("sibling reads %q after Delete", got)
	}
	if err := st.Delete(ctx, sibling); err != nil {
		t.Fatalf("Delete sibling: %v", err)
	}
	// The prefix can hold objects again after its last one was deleted.
	mustPut(t, st, k, []byte("again"), "")
	if got, _ := readAll(t, st, k); string(got) != "again" {
		t.Errorf("read %q after re-creating", got)
	}
}

func testNotFound(t *testing.T, st Store, key func(string) string) {
	ctx := context.Background()
	mustPut(t, st, key("dir/doc"), []byte("x"), "")
	for _, k := range []string{key("missing"), key("dir"), key("dir/doc/below"), key("dir/missing")} {
		if _, err := st.Stat(ctx, k); !errors.Is(err, ErrNotFound) {
			t.Errorf("Stat(%s) = %v, want ErrNotFound", k, err)
		}
		if r, _, err := st.Open(ctx, k); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%s) = %v, want ErrNotFound", k, err)
			if r != nil {
				r.Close()
			}
		}
		if rc, err := st.OpenRange(ctx, k, 0, 1); !errors.Is(err, ErrNotFound) {
			t.Errorf("OpenRange(%s) = %v, want ErrNotFound", k, err)
			if rc != nil {
				rc.Close()
			}
		}
		if err := st.Delete(ctx, k); err != nil {
			t.Errorf("Delete(%s) = %v, want nil", k, err)
		}
	}
	if _, err := st.Stat(ctx, key("dir/doc")); err != nil {
		t.Errorf("Stat of the existing object after deleting its neighbours: %v", err)
	}
}

func testInvalidKeys(t *testing.T, st Store, key func(string) string) {
	ctx := context.Background()
	valid := key("doc")
	for _, k := range invalidKeys(valid) {
		if _, err := st.Put(ctx, k, strings.NewReader("x"), 1, ""); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Put(%q) = %v, want ErrInvalidKey", k, err)
		}
		if _, err := st.Stat(ctx, k); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Stat(%q) = %v, want ErrInvalidKey", k, err)
		}
		if _, _, err := st.Open(ctx, k); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Open(%q) = %v, want ErrInvalidKey", k, err)
		}
		if _, err := st.OpenRange(ctx, k, 0, 1); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("OpenRange(%q) = %v, want ErrInvalidKey", k, err)
		}
		if err := st.Delete(ctx, k); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidKey", k, err)
		}
	}
}

// invalidKeys derives invalid keys from a valid one.
func invalidKeys(valid string) []string {
	return []string{
		"", "/" + valid, valid + "/", strings.Replace(valid, "/", "//", 1),
		valid + "/../x", "../" + valid, valid + "/..", valid + "/./x", valid + "/.",
		strings.ToUpper(valid), valid + " x", valid + "\x00", valid + "\\x", valid + "ä",
		valid + "/" + strings.Repeat("a", MaxKeyLen),
	}
}

func testInvalidContentType(t *testing.T, st Store, key func(string) string) {
	ctx := context.Background()
	for _, ct := range []string{"text/plain\r\nX-Evil: 1", "text/\x00plain", "bild/" + "ä", strings.Repeat("a", maxContentTypeLen+1)} {
		k := key("doc")
		if _, err := st.Put(ctx, k, strings.NewReader("x"), 1, ct); err == nil {
			t.Errorf("Put with content type %q succeeded", ct)
		}
		if _, err := st.Stat(ctx, k); !errors.Is(err, ErrNotFound) {
			t.Errorf("Stat after refused Put = %v, want ErrNotFound", err)
		}
	}
}

// failingReader returns data and then fails.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func testFailedPut(t *testing.T, st Store, key func(string) string) {
	errBroken := errors.New("client went away")
	big := pattern(2<<20, 8)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		r       io.Reader
		size    int64
		wantErr error
	}{
		{"reader fails mid-way", context.Background(), &failingReader{data: big[:300_000], err: errBroken}, int64(len(big)), errBroken},
		{"reader fails mid-way, size unknown", context.Background(), &failingReader{data: big, err: errBroken}, -1, errBroken},
		{"reader fails at once", context.Background(), iotest.ErrReader(errBroken), 10, errBroken},
		{"reader delivers less", context.Background(), bytes.NewReader(big[:1000]), 1001, ErrSizeMismatch},
		{"reader delivers more", context.Background(), bytes.NewReader(big), int64(len(big)) - 1, ErrSizeMismatch},
		{"context cancelled", cancelled, bytes.NewReader(big), int64(len(big)), context.Canceled},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			fresh := key(fmt.Sprintf("fresh-%d", i))
			if _, err := st.Put(tt.ctx, fresh, tt.r, tt.size, ""); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Put error = %v, want %v", err, tt.wantErr)
			}
			if _, err := st.Stat(ctx, fresh); !errors.Is(err, ErrNotFound) {
				t.Errorf("Stat after failed Put = %v, want ErrNotFound", err)
			}
		})
	}
	t.Run("overwrite keeps the old object", func(t *testing.T) {
		k := key("existing")
		old := []byte("the published version")
		want := mustPut(t, st, k, old, "text/plain")
		r := &failingReader{data: pattern(100_000, 9), err: errBroken}
		if _, err := st.Put(context.Background(), k, r, 200_000, "application/pdf"); !errors.Is(err, errBroken) {
			t.Fatalf("Put error = %v, want %v", err, errBroken)
		}
		got, obj := readAll(t, st, k)
		if !bytes.Equal(got, old) || obj != want {
			t.Errorf("after failed overwrite read %q %+v, want %q %+v", got, obj, old, want)
		}
	})
}

func testConcurrentPuts(t *testing.T, st Store, key func(string) string) {
	const n = 12
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := pattern(10_000+i*1_000, byte(i))
			// Half of the keys share a directory, half get their own.
			k := key(fmt.Sprintf("shared/doc-%d", i))
			if i%2 == 1 {
				k = key(fmt.Sprintf("own-%d/doc", i))
			}
			if _, err := st.Put(context.Background(), k, bytes.NewReader(data), int64(len(data)), ""); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Put: %v", err)
	}
	for i := range n {
		k := key(fmt.Sprintf("shared/doc-%d", i))
		if i%2 == 1 {
			k = key(fmt.Sprintf("own-%d/doc", i))
		}
		want := pattern(10_000+i*1_000, byte(i))
		got, obj := readAll(t, st, k)
		if !bytes.Equal(got, want) || obj.SHA256 != digest(want) {
			t.Errorf("%s: read %d bytes with digest %s, want %d bytes", k, len(got), obj.SHA256, len(want))
		}
	}
}

// testReaderDuringOverwrite: a reader opened before an overwrite returns the
// old content or fails; it never mixes two versions.
func testReaderDuringOverwrite(t *testing.T, st Store, key func(string) string) {
	k := key("doc")
	old, replacement := pattern(100_000, 10), pattern(100_000, 11)
	mustPut(t, st, k, old, "")
	r, _, err := st.Open(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	head := make([]byte, 10)
	if _, err := io.ReadFull(r, head); err != nil {
		t.Fatal(err)
	}
	mustPut(t, st, k, replacement, "")
	if _, err := r.Seek(50_000, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(r)
	if err == nil && !bytes.Equal(rest, old[50_000:]) {
		t.Error("reader opened before an overwrite returned content of the new version")
	}
}
