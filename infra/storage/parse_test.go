package storage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseFile(t *testing.T) {
	base := t.TempDir()
	t.Chdir(base) // relative directories are created below base
	tests := []struct {
		url     string
		wantDir string // absolute; empty: error
	}{
		{DefaultURL, filepath.Join(base, ".data", "files")},
		{"file:rel/files", filepath.Join(base, "rel", "files")},
		{"file://" + filepath.ToSlash(filepath.Join(base, "abs")), filepath.Join(base, "abs")},
		{"file://localhost" + filepath.ToSlash(filepath.Join(base, "host")), filepath.Join(base, "host")},
		{"file:" + filepath.ToSlash(filepath.Join(base, "single")), filepath.Join(base, "single")},
		{"FILE:upper", filepath.Join(base, "upper")},
		{"file:", ""},
		{"file://", ""},
		{"file://otherhost/dir", ""},
		{"file:dir?mode=x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			st, err := Parse(tt.url)
			if tt.wantDir == "" {
				if err == nil {
					t.Fatalf("Parse(%q) succeeded, want an error", tt.url)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.url, err)
			}
			l, ok := st.(*Local)
			if !ok {
				t.Fatalf("Parse(%q) returned %T, want *Local", tt.url, st)
			}
			if l.Dir() != tt.wantDir {
				t.Errorf("directory %s, want %s", l.Dir(), tt.wantDir)
			}
			if fi, err := os.Stat(tt.wantDir); err != nil || !fi.IsDir() {
				t.Errorf("directory not created: %v", err)
			}
		})
	}
}

func TestParseS3(t *testing.T) {
	const secret = "t0p-s3cr3t"
	tests := []struct {
		url  string
		want S3Config
	}{
		{
			"s3://AKID:" + secret + "@127.0.0.1:59000/portal-test?ssl=false",
			S3Config{Endpoint: "127.0.0.1:59000", Bucket: "portal-test", AccessKey: "AKID", SecretKey: secret, PathStyle: true},
		},
		{
			"s3://AKID:" + secret + "@s3.eu-central-1.amazonaws.com/portal-files?region=eu-central-1&path_style=false",
			S3Config{Endpoint: "s3.eu-central-1.amazonaws.com", Region: "eu-central-1", Bucket: "portal-files", AccessKey: "AKID", SecretKey: secret, UseSSL: true},
		},
		{
			// Reserved characters in the secret are percent-encoded.
			"s3://AKID:a%2Fb%40c%3Ad%25@minio.internal:9000/files/?ssl=true",
			S3Config{Endpoint: "minio.internal:9000", Bucket: "files", AccessKey: "AKID", SecretKey: "a/b@c:d%", UseSSL: true, PathStyle: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			st, err := Parse(tt.url)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			s3, ok := st.(*S3)
			if !ok {
				t.Fatalf("Parse returned %T, want *S3", st)
			}
			if s3.bucket != tt.want.Bucket || s3.client.EndpointURL().Host != tt.want.Endpoint {
				t.Errorf("bucket %s at %s, want %s at %s", s3.bucket, s3.client.EndpointURL().Host, tt.want.Bucket, tt.want.Endpoint)
			}
			if scheme := s3.client.EndpointURL().Scheme; (scheme == "https") != tt.want.UseSSL {
				t.Errorf("scheme %s, want UseSSL=%v", scheme, tt.want.UseSSL)
			}
			cfg, err := parseS3Config(tt.url)
			if err != nil || cfg != tt.want {
				t.Errorf("parseS3Config = %+v, %v; want %+v", cfg, err, tt.want)
			}
		})
	}
}

// TestParseErrorsHideSecret: whatever is wrong with an s3 URL, the error
// message must not contain the secret, since it ends up in logs.
func TestParseErrorsHideSecret(t *testing.T) {
	const secret = "t0p-s3cr3t"
	tests := []string{
		"s3://AKID:" + secret + "@host:notaport/bucket",
		"s3://AKID:" + secret + "%zz@host/bucket",
		"s3://AKID:" + secret + "@host/",
		"s3://AKID:" + secret + "@host/bucket/extra",
		"s3://AKID:" + secret + "@/bucket",
		"s3://:" + secret + "@host/bucket",
		"s3://AKID@host/bucket",
		"s3://host/bucket",
		"s3://AKID:" + secret + "@host/bucket?ssl=maybe",
		"s3://AKID:" + secret + "@host/bucket?tls=false",
		"s3://AKID:" + secret + "@host/bucket?region=a&region=b",
		"s3://AKID:" + secret + "@host/bucket?%zz",
		"s3://AKID:" + secret + "@host/bucket#frag",
		"s3://AKID:" + secret + "@host/BAD_bucket",
		"s3:AKID:" + secret + "@host/bucket",
		"https://AKID:" + secret + "@host/bucket",
		"AKID:" + secret,
		"",
	}
	for _, raw := range tests {
		t.Run(raw, func(t *testing.T) {
			_, err := Parse(raw)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want an error", raw)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error contains the secret: %v", err)
			}
		})
	}
}
