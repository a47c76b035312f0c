package statement

import (
	"fmt"
	"strconv"
	"strings"
)

// Receipt numbers look like "0K7-2026-00017-42": the procedure's code, the
// year of receipt, the procedure's running number and two check digits. People
// read them out on the phone and type them from letters, so they use only
// digits and capital letters without I, L, O and U (Crockford's base 32 for
// the code). The check digits (ISO/IEC 7064 MOD 97-10, as in the IBAN) catch
// every single mistyped character and every swap of two neighbours; a single
// check character (MOD 37,36) was tried and misses some swaps.

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ProcedureCode turns a procedure's code number (from a database sequence,
// so never two procedures alike) into at least three base-32 characters.
func ProcedureCode(n int64) string {
	if n < 0 {
		n = -n
	}
	var b []byte
	for n > 0 {
		b = append(b, crockford[n%32])
		n /= 32
	}
	for len(b) < 3 {
		b = append(b, '0')
	}
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

// FormatReceipt builds the receipt number.
func FormatReceipt(code string, year, seq int) string {
	body := fmt.Sprintf("%s-%04d-%05d", code, year, seq)
	// Each code character counts as two digits (its base-32 value), so that a
	// typo in the code changes the number as much as one in the digits.
	var digits strings.Builder
	for i := 0; i < len(code); i++ {
		fmt.Fprintf(&digits, "%02d", strings.IndexByte(crockford, code[i]))
	}
	fmt.Fprintf(&digits, "%04d%05d00", year, seq)
	return fmt.Sprintf("%s-%02d", body, 98-mod97(digits.String()))
}

// mod97 is the remainder of the decimal number s divided by 97.
func mod97(s string) int {
	r := 0
	for i := 0; i < len(s); i++ {
		r = (r*10 + int(s[i]-'0')) % 97
	}
	return r
}

// NormaliseReceipt reads a receipt number as people type it: any case,
// spaces, and the letters O, I and L for the digits 0, 1 and 1 in the code.
// It returns the canonical form and whether it is well-formed with a correct
// check character.
func NormaliseReceipt(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.Join(strings.Fields(s), "")
	parts := strings.Split(s, "-")
	if len(parts) != 4 || len(parts[0]) < 3 || len(parts[0]) > 8 || len(parts[1]) != 4 || len(parts[2]) < 5 || len(parts[2]) > 9 || len(parts[3]) != 2 {
		return "", false
	}
	code := strings.NewReplacer("O", "0", "I", "1", "L", "1").Replace(parts[0])
	for i := 0; i < len(code); i++ {
		if strings.IndexByte(crockford, code[i]) < 0 {
			return "", false
		}
	}
	year, err1 := strconv.Atoi(parts[1])
	seq, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || year < 2000 || seq < 1 || strings.HasPrefix(parts[1], "+") || strings.HasPrefix(parts[2], "+") {
		return "", false
	}
	canonical := FormatReceipt(code, year, seq)
	return canonical, canonical[len(canonical)-2:] == parts[3]
}
