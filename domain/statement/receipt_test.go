package statement

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
)

func TestProcedureCode(t *testing.T) {
	for n, want := range map[int64]string{0: "000", 1: "001", 31: "00Z", 32: "010", 1023: "0ZZ", 1 << 15: "1000", 33_554_431: "ZZZZZ"} {
		if got := ProcedureCode(n); got != want {
			t.Errorf("ProcedureCode(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestReceiptNumbers(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{FormatReceipt("0K7", 2026, 17), FormatReceipt("0K7", 2026, 17), true},
		{" 0k7-2026-00017-" + FormatReceipt("0K7", 2026, 17)[15:] + " ", FormatReceipt("0K7", 2026, 17), true},
		{"OK7-2026-00017-" + FormatReceipt("0K7", 2026, 17)[15:], FormatReceipt("0K7", 2026, 17), true}, // letter O typed for zero
		{"0K7 - 2026 - 00017 - " + FormatReceipt("0K7", 2026, 17)[15:], FormatReceipt("0K7", 2026, 17), true},
		{"0K7-2026-00017", "", false},
		{"0K7-2026-0001A-42", "", false},
		{"0K7-26-00017-42", "", false},
		{"0U7-2026-00017-42", "", false}, // U is not in the alphabet
		{"", "", false},
		{"0K7-2026-00000-98", "", false},
	} {
		got, ok := NormaliseReceipt(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("NormaliseReceipt(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// Every single mistyped character and every swap of neighbours is caught,
// in the check digits too.
func TestReceiptCheckCharacterCatchesTypos(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	for range 300 {
		number := FormatReceipt(ProcedureCode(r.Int64N(1<<20)), 2020+r.IntN(20), 1+r.IntN(99999))
		if _, ok := NormaliseReceipt(number); !ok {
			t.Fatalf("%s does not verify", number)
		}
		b := []byte(number)
		for i := range b {
			if b[i] == '-' {
				continue
			}
			orig := b[i]
			for j := 0; j < len(alphabet); j++ {
				c := alphabet[j]
				if c == orig || (i > 3 && (c < '0' || c > '9')) {
					continue // year and sequence are digits only
				}
				b[i] = c
				if canon, ok := NormaliseReceipt(string(b)); ok && canon != number {
					t.Fatalf("%s: typo %q at %d verifies as %s", number, c, i, b)
				}
			}
			b[i] = orig
			if i+1 < len(b) && b[i+1] != '-' && b[i] != b[i+1] {
				b[i], b[i+1] = b[i+1], b[i]
				if canon, ok := NormaliseReceipt(string(b)); ok && canon != number {
					t.Fatalf("%s: swap at %d verifies as %s", number, i, b)
				}
				b[i], b[i+1] = b[i+1], b[i]
			}
		}
	}
}

// FuzzNormaliseReceipt: whatever people type, NormaliseReceipt does not
// panic, and what it accepts is a canonical number that it accepts again
// unchanged.
func FuzzNormaliseReceipt(f *testing.F) {
	for _, s := range []string{FormatReceipt("0K7", 2026, 17), " 0k7-2026-00017-" + FormatReceipt("0K7", 2026, 17)[15:],
		"OK7-2026-00017-42", "0K7 - 2026 - 00017 - 42", "0K7-2026-0001A-42", "0K7-+026-00017-42", "0K7-2026-+0017-42",
		"0K7-2026--0017-42", "ZZZZZZZZ-9999-999999999-00", "ıſ7-2026-00017-42", "0K7-2026-00017-4\u00b2", "\xff-\xff-\xff-\xff", "----", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		canon, ok := NormaliseReceipt(s)
		if !ok {
			return
		}
		again, ok := NormaliseReceipt(canon)
		if !ok || again != canon {
			t.Fatalf("NormaliseReceipt(%q) = %q, which normalises to %q, %v", s, canon, again, ok)
		}
		if canon != strings.ToUpper(canon) || strings.ContainsAny(canon, "ILOU \t") {
			t.Fatalf("NormaliseReceipt(%q) = %q: not canonical", s, canon)
		}
	})
}

// FuzzReceiptTypos: a number FormatReceipt builds is accepted as itself, and
// changing any one character of it into any other byte (a letter in another
// case included) either is refused or reads as the same number. White space
// is left out: NormaliseReceipt drops it, so a space typed for a character
// is a deleted character, which the check digits miss in one case of 97
// where the code or the running number has room for one character less
// (G01X-2026-00017-18 without its 1 reads as G0X-2026-00017-18); the token
// that goes with every number keeps such a slip from finding a statement.
func FuzzReceiptTypos(f *testing.F) {
	f.Add(int64(0), uint16(2026), uint32(17), uint8(0), byte('1'))
	f.Add(int64(1<<20), uint16(2020), uint32(99999), uint8(5), byte('O'))
	f.Add(int64(33_554_431), uint16(9999), uint32(999_999_999), uint8(20), byte(' '))
	f.Add(int64(16*1024+1*32+29), uint16(2031), uint32(12345), uint8(2), byte('\t'))
	f.Add(int64(12345), uint16(2000), uint32(1), uint8(15), byte('-'))
	f.Add(int64(524349), uint16(2026), uint32(17), uint8(2), byte('I')) // G01X: I reads as 1
	f.Fuzz(func(t *testing.T, n int64, year uint16, seq uint32, pos uint8, c byte) {
		if n < 0 {
			n = -(n + 1)
		}
		y := 2000 + int(year)%8000
		q := 1 + int(seq)%999_999_999
		number := FormatReceipt(ProcedureCode(n), y, q)
		if len(ProcedureCode(n)) <= 8 {
			if canon, ok := NormaliseReceipt(number); !ok || canon != number {
				t.Fatalf("%s reads as %q, %v", number, canon, ok)
			}
		}
		b := []byte(number)
		i := int(pos) % len(b)
		if b[i] == c || unicode.IsSpace(rune(c)) {
			return
		}
		b[i] = c
		if canon, ok := NormaliseReceipt(string(b)); ok && canon != number {
			t.Fatalf("%s: %q at %d reads as another number %s", number, c, i, canon)
		}
	})
}
