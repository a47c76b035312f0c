package storage

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

// testS3 returns the S3 store of PORTAL_TEST_S3_URL (set by `make test`,
// which starts versitygw), creating its bucket if missing, and a key prefix
// for this run whose objects are removed when the test ends.
func testS3(t *testing.T) (*S3, string) {
	t.Helper()
	raw := os.Getenv("PORTAL_TEST_S3_URL")
	if raw == "" {
		t.Fatal("PORTAL_TEST_S3_URL is not set: run the tests with `make test` (or infra/dev/with-env.sh test go test ...), which starts the test S3 server versitygw")
	}
	st, err := Parse(raw)
	if err != nil {
		t.Fatalf("PORTAL_TEST_S3_URL: %v", err)
	}
	s3, ok := st.(*S3)
	if !ok {
		t.Fatalf("PORTAL_TEST_S3_URL is not an s3:// URL")
	}
	if err := s3.EnsureBucket(context.Background()); err != nil {
		t.Fatalf("S3 server of PORTAL_TEST_S3_URL: %v", err)
	}
	prefix := randomPrefix(t)
	t.Cleanup(func() {
		ctx := context.Background()
		for obj := range s3.client.ListObjects(ctx, s3.bucket, minio.ListObjectsOptions{Prefix: prefix + "/", Recursive: true}) {
			if obj.Err != nil {
				t.Errorf("list test objects: %v", obj.Err)
				return
			}
			if err := s3.client.RemoveObject(ctx, s3.bucket, obj.Key, minio.RemoveObjectOptions{}); err != nil {
				t.Errorf("remove test object %s: %v", obj.Key, err)
			}
		}
	})
	return s3, prefix
}

func TestS3(t *testing.T) {
	st, prefix := testS3(t)
	if err := st.Check(context.Background()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	testStore(t, st, prefix)
}

func TestS3MissingBucket(t *testing.T) {
	st, _ := testS3(t)
	missing := *st
	missing.bucket = "portal-no-such-bucket"
	missing.core = minio.Core{Client: st.client}
	ctx := context.Background()
	if err := missing.Check(ctx); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Check of a missing bucket = %v, want 'does not exist'", err)
	}
	if _, err := missing.Put(ctx, "doc", strings.NewReader("x"), 1, ""); err == nil {
		t.Error("Put into a missing bucket succeeded")
	}
}

// TestS3ForeignObject: an object written by another tool has no digest
// metadata; Stat reports it with an empty SHA256 instead of failing.
func TestS3ForeignObject(t *testing.T) {
	st, prefix := testS3(t)
	ctx := context.Background()
	key := prefix + "/foreign"
	if _, err := st.client.PutObject(ctx, st.bucket, key, strings.NewReader("abc"), 3, minio.PutObjectOptions{ContentType: "text/plain"}); err != nil {
		t.Fatal(err)
	}
	obj, err := st.Stat(ctx, key)
	want := Object{Key: key, Size: 3, ContentType: "text/plain"}
	if err != nil || obj != want {
		t.Errorf("Stat = %+v, %v; want %+v", obj, err, want)
	}
	if err := st.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Stat(ctx, key); !errors.Is(err, ErrNotFound) {
		t.Errorf("Stat after Delete = %v, want ErrNotFound", err)
	}
}

// TestS3ReplacedWhileReading: S3 cannot keep the old content for an open
// reader the way a file handle does, so reading after a replacement fails
// (If-Match) instead of returning bytes of the new version.
func TestS3ReplacedWhileReading(t *testing.T) {
	st, prefix := testS3(t)
	ctx := context.Background()
	key := prefix + "/doc"
	mustPut(t, st, key, pattern(1000, 1), "")
	r, _, err := st.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	mustPut(t, st, key, pattern(1000, 2), "")
	if _, err := io.ReadAll(r); !errors.Is(err, errReplaced) {
		t.Errorf("read after replacement: %v, want errReplaced", err)
	}
	if _, err := r.ReadAt(make([]byte, 10), 100); !errors.Is(err, errReplaced) {
		t.Errorf("ReadAt after replacement: %v, want errReplaced", err)
	}
}

// getRecorder records the object GETs an S3 store sends and the number of
// bytes each response announces.
type getRecorder struct {
	base http.RoundTripper
	key  string

	mu     sync.Mutex
	gets   int
	length int64
}

func (g *getRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := g.base.RoundTrip(req)
	if err == nil && req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/"+g.key) {
		g.mu.Lock()
		g.gets++
		g.length += resp.ContentLength
		g.mu.Unlock()
	}
	return resp, err
}

func (g *getRecorder) take() (gets int, length int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	gets, length = g.gets, g.length
	g.gets, g.length = 0, 0
	return gets, length
}

// TestS3ReadsOnlyWhatIsAsked checks that ranged reads do not transfer the
// whole object: the point of the Reader and OpenRange design.
func TestS3ReadsOnlyWhatIsAsked(t *testing.T) {
	env, prefix := testS3(t)
	key := prefix + "/large.pdf"
	data := pattern(5<<20+3, 3)
	mustPut(t, env, key, data, "application/pdf")

	cfg, err := parseS3Config(os.Getenv("PORTAL_TEST_S3_URL"))
	if err != nil {
		t.Fatal(err)
	}
	base, err := minio.DefaultTransport(false)
	if err != nil {
		t.Fatal(err)
	}
	rec := &getRecorder{base: base, key: key}
	st, err := newS3(cfg, rec)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	size := int64(len(data))

	serve := func(rangeHeader string) []byte {
		r, _, err := st.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		req := httptest.NewRequest(http.MethodGet, "/f", nil)
		req.Header.Set("Range", rangeHeader)
		// Without a Content-Type ServeContent would read the start to sniff one.
		w := httptest.NewRecorder()
		w.Header().Set("Content-Type", "application/pdf")
		http.ServeContent(w, req, "", time.Time{}, r)
		return w.Body.Bytes()
	}
	readRange := func(off, n int64) []byte {
		rc, err := st.OpenRange(ctx, key, off, n)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	readAll := func() []byte {
		r, _, err := st.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name      string
		read      func() []byte
		want      []byte
		maxGets   int
		maxLength int64
	}{
		{"OpenRange", func() []byte { return readRange(3<<20, 100) }, data[3<<20 : 3<<20+100], 1, 100},
		{"ServeContent range", func() []byte { return serve("bytes=4000000-4000099") }, data[4000000:4000100], 1, s3MinWindow},
		{"ServeContent suffix", func() []byte { return serve("bytes=-10") }, data[size-10:], 1, 10},
		// Windows of 256 KiB, 512 KiB, 1, 2 and 4 MiB cover 5 MiB.
		{"whole object", readAll, data, 5, size},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec.take()
			got := tt.read()
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("read %d bytes, want %d", len(got), len(tt.want))
			}
			gets, length := rec.take()
			if gets > tt.maxGets || length > tt.maxLength {
				t.Errorf("%d GETs announcing %d bytes, want at most %d GETs and %d bytes", gets, length, tt.maxGets, tt.maxLength)
			}
		})
	}
}
