package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

const (
	// s3MetaSHA256 is the user metadata entry (x-amz-meta-sha256) that
	// holds the hex SHA-256 digest of an object's content.
	s3MetaSHA256 = "sha256"
	// s3SpoolMemory is how much of an upload is buffered in memory before it
	// spills to a temporary file.
	s3SpoolMemory = 1 << 20
	// s3PartSize is the part size of multipart uploads, which minio-go uses
	// for objects larger than one part. Parts are read from the spooled
	// file, so the size costs no memory.
	s3PartSize = 64 << 20
)

// errReplaced means an object changed between Open and a later read.
var errReplaced = errors.New("object was replaced while it was being read")

// S3Config configures an S3 store.
type S3Config struct {
	// Endpoint is the server's host and optional port, without scheme,
	// e.g. "s3.eu-central-1.amazonaws.com" or "127.0.0.1:9000".
	Endpoint string
	// Region is the bucket's region; empty asks the server once.
	Region string
	// Bucket is the bucket that holds the objects; it must exist.
	Bucket string
	// AccessKey and SecretKey are the static credentials.
	AccessKey string
	SecretKey string
	// UseSSL selects HTTPS.
	UseSSL bool
	// PathStyle addresses the bucket in the path (http://host/bucket/key),
	// as most S3-compatible servers expect; otherwise the bucket is chosen
	// by minio-go's detection (virtual-hosted style for Amazon S3).
	PathStyle bool
}

// S3 is a Store in a bucket of an S3-compatible object store. Each Put is
// one PutObject (or one multipart upload for large objects), which becomes
// visible only when complete. Because S3 metadata precedes the content,
// Put first spools the upload (to memory up to 1 MiB, then to a temporary
// file in os.TempDir) to compute the SHA-256 digest that is stored as user
// metadata.
type S3 struct {
	client *minio.Client
	core   minio.Core
	bucket string
}

var _ Store = (*S3)(nil)

// NewS3 returns a store for the configured bucket. It does not contact the
// server; Check does.
func NewS3(cfg S3Config) (*S3, error) {
	return newS3(cfg, nil)
}

// newS3 builds the store; a nil transport means minio-go's default.
func newS3(cfg S3Config, transport http.RoundTripper) (*S3, error) {
	if cfg.Endpoint == "" {
		return nil, errors.New("s3 store: empty endpoint")
	}
	if strings.Contains(cfg.Endpoint, "://") || strings.ContainsAny(cfg.Endpoint, "/?#@") {
		return nil, fmt.Errorf("s3 store: endpoint %q must be host[:port] without scheme or path", cfg.Endpoint)
	}
	if err := s3utils.CheckValidBucketNameStrict(cfg.Bucket); err != nil {
		return nil, fmt.Errorf("s3 store: bucket %q: %w", cfg.Bucket, err)
	}
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, errors.New("s3 store: access key and secret key are required")
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       cfg.UseSSL,
		Region:       cfg.Region,
		BucketLookup: lookup,
		Transport:    transport,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 store: %w", err)
	}
	return &S3{client: client, core: minio.Core{Client: client}, bucket: cfg.Bucket}, nil
}

// Check verifies that the server answers and the bucket exists.
func (s *S3) Check(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("s3 store: check bucket %s: %w", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("s3 store: bucket %s does not exist", s.bucket)
	}
	return nil
}

// EnsureBucket creates the bucket if it does not exist, for development and
// test servers; production buckets are made by their operators, with their
// own policies.
func (s *S3) EnsureBucket(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("s3 store: check bucket %s: %w", s.bucket, err)
	}
	if ok {
		return nil
	}
	err = s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{})
	if code := minio.ToErrorResponse(err).Code; err != nil && code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
		return fmt.Errorf("s3 store: create bucket %s: %w", s.bucket, err)
	}
	return nil
}

// Put spools the content while hashing it, then uploads it with its digest
// and content type.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, fmt.Errorf("put: %w", err)
	}
	ct, err := checkContentType(contentType)
	if err != nil {
		return Object{}, fmt.Errorf("put %s: %w", key, err)
	}
	sp := &spool{limit: s3SpoolMemory}
	defer sp.close()
	d := newDigestReader(ctx, r)
	n, err := copyContent(sp, d, size)
	if err != nil {
		return Object{}, fmt.Errorf("put %s: %w", key, err)
	}
	body, err := sp.reader()
	if err != nil {
		return Object{}, fmt.Errorf("put %s: %w", key, err)
	}
	sum := d.sum()
	_, err = s.client.PutObject(ctx, s.bucket, key, body, n, minio.PutObjectOptions{
		ContentType:  ct,
		UserMetadata: map[string]string{s3MetaSHA256: sum},
		PartSize:     s3PartSize,
	})
	if err != nil {
		return Object{}, fmt.Errorf("put %s: %w", key, mapS3Error(err))
	}
	return Object{Key: key, Size: n, SHA256: sum, ContentType: ct}, nil
}

// Open stats the object and returns a Reader that fetches content lazily
// with ranged GETs. Every GET carries If-Match with the ETag seen by Stat,
// so a reader never mixes the content of two versions: if the object is
// replaced meanwhile, reading fails.
func (s *S3) Open(ctx context.Context, key string) (Reader, Object, error) {
	obj, etag, err := s.stat(ctx, key)
	if err != nil {
		return nil, Object{}, fmt.Errorf("open: %w", err)
	}
	return &s3Reader{ctx: ctx, s: s, key: key, etag: etag, size: obj.Size}, obj, nil
}

// OpenRange issues one ranged GET.
func (s *S3) OpenRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, fmt.Errorf("open range: %w", err)
	}
	if offset < 0 || length <= 0 {
		return nil, fmt.Errorf("open range %s: %w: offset %d, length %d", key, ErrInvalidRange, offset, length)
	}
	body, err := s.get(ctx, key, "", offset, length)
	if err != nil {
		return nil, fmt.Errorf("open range %s: %w", key, err)
	}
	return body, nil
}

// Stat issues a HEAD request.
func (s *S3) Stat(ctx context.Context, key string) (Object, error) {
	obj, _, err := s.stat(ctx, key)
	if err != nil {
		return Object{}, fmt.Errorf("stat: %w", err)
	}
	return obj, nil
}

// Delete removes the object; S3 reports success for a missing key as well.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
	if err != nil && !errors.Is(mapS3Error(err), ErrNotFound) {
		return fmt.Errorf("delete %s: %w", key, mapS3Error(err))
	}
	return nil
}

// stat returns the object and its ETag. Errors name the key.
func (s *S3) stat(ctx context.Context, key string) (Object, string, error) {
	if err := ValidateKey(key); err != nil {
		return Object{}, "", err
	}
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return Object{}, "", fmt.Errorf("%s: %w", key, mapS3Error(err))
	}
	var sum string
	for k, v := range info.UserMetadata {
		if strings.EqualFold(k, s3MetaSHA256) {
			sum = v
		}
	}
	obj := Object{Key: key, Size: info.Size, SHA256: sum, ContentType: info.ContentType}
	return obj, info.ETag, nil
}

// get fetches length bytes from offset, with If-Match when etag is set.
// A range that does not lie within the object yields ErrInvalidRange.
func (s *S3) get(ctx context.Context, key, etag string, offset, length int64) (io.ReadCloser, error) {
	var opts minio.GetObjectOptions
	if err := opts.SetRange(offset, offset+length-1); err != nil {
		return nil, fmt.Errorf("%w: offset %d, length %d", ErrInvalidRange, offset, length)
	}
	if etag != "" {
		if err := opts.SetMatchETag(etag); err != nil {
			return nil, err
		}
	}
	body, info, _, err := s.core.GetObject(ctx, s.bucket, key, opts)
	if err != nil {
		err = mapS3Error(err)
		if errors.Is(err, ErrInvalidRange) {
			return nil, fmt.Errorf("%w: offset %d, length %d", err, offset, length)
		}
		return nil, err
	}
	// A range that starts inside the object but ends beyond it is answered
	// with the bytes up to the end; the caller asked for more than exists.
	if info.Size != length {
		_ = body.Close()
		return nil, fmt.Errorf("%w: offset %d, length %d, the object has fewer bytes", ErrInvalidRange, offset, length)
	}
	return body, nil
}

// mapS3Error turns S3 error responses into the package's sentinel errors.
func mapS3Error(err error) error {
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == minio.NoSuchKey:
		return ErrNotFound
	case resp.Code == minio.InvalidRange || resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		return ErrInvalidRange
	case resp.Code == minio.PreconditionFailed || resp.StatusCode == http.StatusPreconditionFailed:
		return errReplaced
	}
	return err
}

// s3Reader reads an object with ranged GETs. Sequential reads fetch windows
// that start small and double up to s3MaxWindow: a reader that stops early
// (an HTTP client that disconnects, http.ServeContent answering a Range
// request) has fetched little more than it read, and a reader that reads
// everything needs only a few requests. Seek starts over with a small window
// at the new offset; ReadAt fetches exactly the bytes asked for.
type s3Reader struct {
	// ctx is the context given to Open: the Reader's requests belong to
	// that call, like the body of an HTTP response belongs to its request.
	ctx    context.Context
	s      *S3
	key    string
	etag   string
	size   int64
	pos    int64
	window int64

	body    io.ReadCloser // the current window's response, if any
	bodyPos int64         // object offset of the body's next byte
	bodyEnd int64         // object offset where the body ends
	closed  bool
}

const (
	s3MinWindow = 256 << 10
	s3MaxWindow = 64 << 20
)

var errReaderClosed = errors.New("storage: read from closed reader")

func (r *s3Reader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, errReaderClosed
	}
	if r.pos >= r.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if r.body != nil && r.bodyPos != r.pos {
		r.dropBody()
	}
	if r.body == nil {
		r.window = min(max(r.window, s3MinWindow), s3MaxWindow)
		length := min(r.window, r.size-r.pos)
		body, err := r.s.get(r.ctx, r.key, r.etag, r.pos, length)
		if err != nil {
			return 0, fmt.Errorf("read %s: %w", r.key, err)
		}
		r.body, r.bodyPos, r.bodyEnd = body, r.pos, r.pos+length
		r.window *= 2
	}
	if rest := r.bodyEnd - r.bodyPos; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := r.body.Read(p)
	r.pos += int64(n)
	r.bodyPos += int64(n)
	switch {
	case r.bodyPos == r.bodyEnd:
		// The window is complete; the next Read fetches the next one.
		r.dropBody()
		return n, nil
	case err == io.EOF:
		r.dropBody()
		return n, fmt.Errorf("read %s: %w", r.key, io.ErrUnexpectedEOF)
	case err != nil:
		r.dropBody()
		return n, fmt.Errorf("read %s: %w", r.key, err)
	}
	return n, nil
}

// Seek sets the offset of the next Read. Seeking beyond the end is allowed;
// Read then reports io.EOF.
func (r *s3Reader) Seek(offset int64, whence int) (int64, error) {
	if r.closed {
		return 0, errReaderClosed
	}
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.pos + offset
	case io.SeekEnd:
		abs = r.size + offset
	default:
		return 0, errors.New("storage: seek: invalid whence")
	}
	if abs < 0 {
		return 0, errors.New("storage: seek: negative position")
	}
	if abs != r.pos {
		r.window = s3MinWindow // random access: start small again
	}
	r.pos = abs
	return abs, nil
}

// ReadAt fetches exactly the requested bytes (or up to the end) with one
// ranged GET; it does not change the offset of Read.
func (r *s3Reader) ReadAt(p []byte, off int64) (int, error) {
	if r.closed {
		return 0, errReaderClosed
	}
	if off < 0 {
		return 0, errors.New("storage: read at negative offset")
	}
	if off >= r.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	want := min(int64(len(p)), r.size-off)
	body, err := r.s.get(r.ctx, r.key, r.etag, off, want)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", r.key, err)
	}
	defer body.Close()
	n, err := io.ReadFull(body, p[:want])
	if err != nil {
		return n, fmt.Errorf("read %s: %w", r.key, err)
	}
	if want < int64(len(p)) {
		return n, io.EOF
	}
	return n, nil
}

func (r *s3Reader) Close() error {
	r.closed = true
	r.dropBody()
	return nil
}

func (r *s3Reader) dropBody() {
	if r.body != nil {
		_ = r.body.Close()
		r.body = nil
	}
}

// spool collects an upload in memory up to limit bytes and in an unlinked
// temporary file beyond that, so the upload can be read again after its
// digest is known.
type spool struct {
	limit int
	buf   bytes.Buffer
	f     *os.File
}

func (s *spool) Write(p []byte) (int, error) {
	if s.f == nil && s.buf.Len()+len(p) <= s.limit {
		return s.buf.Write(p)
	}
	if s.f == nil {
		f, err := os.CreateTemp("", "portal-upload-*")
		if err != nil {
			return 0, fmt.Errorf("spool upload: %w", err)
		}
		s.f = f
		// Unlinked at once (on Unix) so a crash leaves no temporary file;
		// close removes it again where that did not work.
		_ = os.Remove(f.Name())
		if _, err := f.Write(s.buf.Bytes()); err != nil {
			return 0, fmt.Errorf("spool upload: %w", err)
		}
		s.buf = bytes.Buffer{}
	}
	n, err := s.f.Write(p)
	if err != nil {
		return n, fmt.Errorf("spool upload: %w", err)
	}
	return n, nil
}

// reader returns the spooled content from its start.
func (s *spool) reader() (io.ReadSeeker, error) {
	if s.f == nil {
		return bytes.NewReader(s.buf.Bytes()), nil
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("spool upload: %w", err)
	}
	return s.f, nil
}

func (s *spool) close() {
	if s.f != nil {
		_ = s.f.Close()
		_ = os.Remove(s.f.Name())
	}
}
