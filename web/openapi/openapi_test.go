package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"testing"
)

// TestNoDuplicateKeys: JSON parsers keep the last of two equal keys without
// a word, so a path or schema written twice would silently describe the API
// by whichever copy comes last.
func TestNoDuplicateKeys(t *testing.T) {
	t.Parallel()
	dec := json.NewDecoder(bytes.NewReader(Document))
	if err := checkValue(dec, "$"); err != nil {
		t.Fatal(err)
	}
}

// checkValue reads one JSON value from dec and reports the first object
// that has a key twice, by its path.
func checkValue(dec *json.Decoder, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			key := k.(string)
			if seen[key] {
				return fmt.Errorf("%s has the key %q twice", path, key)
			}
			seen[key] = true
			if err := checkValue(dec, path+"."+key); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := checkValue(dec, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	}
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
