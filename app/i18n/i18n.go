// Package i18n is the one place where texts that users read are written:
// problem details, validation messages, mails, pseudonyms and export labels.
// Code refers to texts by stable keys; German is the default and, for now,
// only language. Another language is another catalogue with the same keys.
//
// It lives in app so that use cases (mails) and web can both use it; the
// domain does not import it and hands out keys (or leaves labels empty)
// instead of texts.
package i18n

import "fmt"

// Lang is a language tag such as "de".
type Lang string

// Default is the language used when a request asks for none we have.
const Default Lang = "de"

var catalogues = map[Lang]map[string]string{"de": de}

// T returns the text for key in lang, formatted with args. An unknown key is
// returned as is, so a missing text is visible but never breaks a response.
func T(lang Lang, key string, args ...any) string {
	cat, ok := catalogues[lang]
	if !ok {
		cat = catalogues[Default]
	}
	msg, ok := cat[key]
	if !ok {
		msg, ok = catalogues[Default][key]
	}
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// Has reports whether key has a text in the default language.
func Has(key string) bool {
	_, ok := catalogues[Default][key]
	return ok
}

// Keys returns every key of the default catalogue (for tests that check completeness).
func Keys() []string {
	keys := make([]string, 0, len(de))
	for k := range de {
		keys = append(keys, k)
	}
	return keys
}
