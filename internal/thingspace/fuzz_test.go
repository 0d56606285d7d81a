package thingspace

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParseCallback checks that any input either is refused or yields a callback whose meaning
// can be asked for safely; the seed corpus (testdata/fuzz) holds the source document's example.
func FuzzParseCallback(f *testing.F) {
	f.Add(sourceDocumentCallback(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		cb, err := ParseCallback(data)
		if err != nil {
			return
		}
		if !bytes.Equal(cb.Raw, data) {
			t.Fatal("Raw differs from the input")
		}
		requested := []RequestedDevice{{EID: sourceDocumentEID, ICCID: sourceDocumentICCID}, {ICCID: "891"}}
		a := cb.Answer(requested)
		if a.Device < -1 || a.Device >= len(requested) {
			t.Fatalf("Answer().Device = %d is outside the requested devices", a.Device)
		}
		if a.Outcome != cb.Outcome() {
			t.Fatalf("Answer().Outcome = %v, Outcome() = %v", a.Outcome, cb.Outcome())
		}
		r := cb.Result()
		if r.Status != cb.Status {
			t.Fatalf("Result().Status = %q, want %q", r.Status, cb.Status)
		}
	})
}

func FuzzValidateEID(f *testing.F) {
	f.Add(sourceDocumentEID)
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateEID(s)
		ok := s != "" && len(s) <= MaxEIDDigits && strings.Trim(s, "0123456789") == ""
		if (err == nil) != ok {
			t.Fatalf("ValidateEID(%q) = %v, but the rule says valid=%v", s, err, ok)
		}
		if EIDChecksumOK(s) && (err != nil || len(s) != 32) {
			t.Fatalf("EIDChecksumOK(%q) is true for a value that is not 32 valid digits", s)
		}
	})
}

func FuzzValidateICCID(f *testing.F) {
	f.Add(sourceDocumentICCID)
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateICCID(s)
		ok := len(s) >= MinICCIDDigits && len(s) <= MaxICCIDDigits && strings.Trim(s, "0123456789") == ""
		if (err == nil) != ok {
			t.Fatalf("ValidateICCID(%q) = %v, but the rule says valid=%v", s, err, ok)
		}
		if ICCIDLuhnOK(s) && strings.Trim(s, "0123456789") != "" {
			t.Fatalf("ICCIDLuhnOK(%q) is true for a value with non-digits", s)
		}
	})
}
