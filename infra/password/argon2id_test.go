package password

import (
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	t.Parallel()
	h := New(Params{Memory: 1024, Time: 1, Threads: 1})
	hash, err := h.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("got %q, want a PHC argon2id string", hash)
	}
	if ok, err := h.Verify("correct horse battery", hash); !ok || err != nil {
		t.Fatalf("right password: got %v, %v", ok, err)
	}
	if ok, _ := h.Verify("correct horse batterx", hash); ok {
		t.Fatal("wrong password accepted")
	}
	// Hashes made with other parameters still verify: they are read from the hash.
	if ok, err := New(Default).Verify("correct horse battery", hash); !ok || err != nil {
		t.Fatalf("other parameters: got %v, %v", ok, err)
	}
	other, _ := h.Hash("correct horse battery")
	if other == hash {
		t.Fatal("two hashes of one password are equal: salt missing")
	}
}

func TestVerifyRefusesBadHashes(t *testing.T) {
	t.Parallel()
	h := New(Default)
	for _, bad := range []string{
		"", "plain", "$2a$10$bcrypt.hash.here",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdA$a2V5", // memory bomb
		"$argon2id$v=19$m=1024,t=1,p=1$!!$a2V5",
		"$argon2i$v=19$m=1024,t=1,p=1$c2FsdA$a2V5",
	} {
		if ok, err := h.Verify("x", bad); ok || err == nil {
			t.Errorf("Verify(%q): got %v, %v; want refusal", bad, ok, err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$a2V5")
	f.Add("$argon2id$v=19$m=0,t=0,p=0$$")
	h := New(Params{Memory: 64, Time: 1, Threads: 1})
	f.Fuzz(func(t *testing.T, hash string) {
		_, _ = h.Verify("pw", hash) // must never panic or allocate without bound
	})
}
