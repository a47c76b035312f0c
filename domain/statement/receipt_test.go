package statement

import (
	"math/rand/v2"
	"testing"
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
