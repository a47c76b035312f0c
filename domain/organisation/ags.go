package organisation

import "errors"

// AGS is an official municipality key (Amtlicher Gemeindeschlüssel): eight digits,
// two for the state (01–16), one for the government region, two for the district
// and three for the municipality. Keys of states and districts are padded with
// zeros (e.g. 14000000 for Saxony, 14522000 for a district in it).
type AGS string

var errAGS = errors.New("invalid AGS")

// ParseAGS validates s as an AGS.
func ParseAGS(s string) (AGS, error) {
	if len(s) != 8 {
		return "", errAGS
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", errAGS
		}
	}
	state := (s[0]-'0')*10 + s[1] - '0'
	if state < 1 || state > 16 {
		return "", errAGS
	}
	return AGS(s), nil
}

// IsZero reports whether no key is set.
func (a AGS) IsZero() bool { return a == "" }

// String returns the eight digits.
func (a AGS) String() string { return string(a) }

// prefix returns the significant part of a key: the state digits for a state key,
// the district digits for a district key, all eight otherwise.
func (a AGS) prefix() string {
	s := string(a)
	switch {
	case s[2:] == "000000":
		return s[:2]
	case s[5:] == "000":
		return s[:5]
	}
	return s
}

// Within reports whether a lies inside the area that parent's key stands for.
func (a AGS) Within(parent AGS) bool {
	p := parent.prefix()
	return len(a) == 8 && a != parent && string(a[:len(p)]) == p
}
