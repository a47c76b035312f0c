package storage

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// DefaultURL is the store setting used when none is configured: a directory
// relative to the working directory.
const DefaultURL = "file:.data/files"

// Parse builds a store from a URL-style setting (PORTAL_FILE_STORE):
//
//	file:.data/files                    directory relative to the working directory
//	file:///var/lib/portal/files        absolute directory
//	s3://ACCESS:SECRET@host:port/bucket S3-compatible server, path-style addressing
//
// The s3 form takes the query parameters region (default: ask the server),
// ssl (true or false, default true) and path_style (default true). Characters
// of the access key or secret that have a meaning in URLs (such as "/", "@",
// ":" or "%") must be percent-encoded. Error messages never contain the
// secret.
func Parse(rawURL string) (Store, error) {
	lower := strings.ToLower(rawURL)
	switch {
	case strings.HasPrefix(lower, "file:"):
		return parseFile(rawURL)
	case strings.HasPrefix(lower, "s3:"):
		return parseS3(rawURL)
	default:
		return nil, errors.New("storage: store URL must start with file: or s3://")
	}
}

func parseFile(rawURL string) (Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("storage: invalid store URL: %w", err)
	}
	var dir string
	switch {
	case u.Opaque != "": // file:relative/dir
		if dir, err = url.PathUnescape(u.Opaque); err != nil {
			return nil, fmt.Errorf("storage: invalid store URL %q: %w", u.Redacted(), err)
		}
	case u.Host != "" && u.Host != "localhost":
		return nil, fmt.Errorf("storage: store URL %q names a host; use file:relative/dir or file:///absolute/dir", u.Redacted())
	default:
		dir = u.Path
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("storage: store URL %q: a file store takes no parameters", u.Redacted())
	}
	if dir == "" {
		return nil, fmt.Errorf("storage: store URL %q names no directory", u.Redacted())
	}
	st, err := NewLocal(dir)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	return st, nil
}

func parseS3(rawURL string) (Store, error) {
	cfg, err := parseS3Config(rawURL)
	if err != nil {
		return nil, err
	}
	st, err := NewS3(cfg)
	if err != nil {
		return nil, fmt.Errorf("storage: store URL %s: %w", redactedS3URL(cfg), err)
	}
	return st, nil
}

func parseS3Config(rawURL string) (S3Config, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "s3" || u.Opaque != "" {
		// url.Error repeats the whole URL, secret included.
		return S3Config{}, errors.New("storage: s3 store URL is malformed (not shown, it may contain a secret); " +
			"want s3://ACCESS:SECRET@host[:port]/bucket, with special characters of the access key and secret percent-encoded")
	}
	shown := u.Redacted()
	fail := func(format string, args ...any) error {
		return fmt.Errorf("storage: store URL %s: %s", shown, fmt.Sprintf(format, args...))
	}
	cfg := S3Config{Endpoint: u.Host, UseSSL: true, PathStyle: true}
	if u.User != nil {
		cfg.AccessKey = u.User.Username()
		cfg.SecretKey, _ = u.User.Password()
	}
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return S3Config{}, fail("access key and secret are required (s3://ACCESS:SECRET@host/bucket)")
	}
	if cfg.Endpoint == "" {
		return S3Config{}, fail("no host")
	}
	cfg.Bucket = strings.TrimSuffix(strings.TrimPrefix(u.Path, "/"), "/")
	if cfg.Bucket == "" || strings.Contains(cfg.Bucket, "/") {
		return S3Config{}, fail("the path must be exactly the bucket name")
	}
	if u.Fragment != "" {
		return S3Config{}, fail("unexpected fragment")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return S3Config{}, fail("malformed query")
	}
	for name, values := range q {
		if len(values) != 1 {
			return S3Config{}, fail("parameter %s given %d times", name, len(values))
		}
		v := values[0]
		switch name {
		case "region":
			cfg.Region = v
		case "ssl":
			if cfg.UseSSL, err = parseBool(v); err != nil {
				return S3Config{}, fail("ssl must be true or false")
			}
		case "path_style":
			if cfg.PathStyle, err = parseBool(v); err != nil {
				return S3Config{}, fail("path_style must be true or false")
			}
		default:
			return S3Config{}, fail("unknown parameter %q (known: region, ssl, path_style)", name)
		}
	}
	return cfg, nil
}

// redactedS3URL describes the configuration without the secret.
func redactedS3URL(cfg S3Config) string {
	return "s3://" + url.PathEscape(cfg.AccessKey) + ":xxxxx@" + cfg.Endpoint + "/" + cfg.Bucket
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return false, errors.New("not a boolean")
}
