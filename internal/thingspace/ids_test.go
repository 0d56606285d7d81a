package thingspace

import (
	"strings"
	"testing"
)

// The source document's identifiers: accepted by ThingSpace, yet failing the GSMA and Luhn
// checks, which is why those checks can only ever warn.
const (
	sourceDocumentEID   = "666456789123456789123456784008"
	sourceDocumentICCID = "89148000000840784259"
)

func TestValidateEID(t *testing.T) {
	valid := []string{sourceDocumentEID, "1", strings.Repeat("9", 32), "89049032000001000000000000000074"}
	for _, s := range valid {
		if err := ValidateEID(s); err != nil {
			t.Errorf("ValidateEID(%q) = %v, want nil", s, err)
		}
	}
	invalid := map[string]string{
		"":                      "empty",
		strings.Repeat("1", 33): "33 digits",
		"12345a":                "not a decimal digit",
		" 123":                  "not a decimal digit",
		"１２３":                   "not a decimal digit", // full-width digits are not ASCII digits
	}
	for s, want := range invalid {
		err := ValidateEID(s)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateEID(%q) = %v, want an error containing %q", s, err, want)
		}
	}
}

func TestValidateICCID(t *testing.T) {
	for _, s := range []string{sourceDocumentICCID, "891480000008407842", strings.Repeat("8", 22)} {
		if err := ValidateICCID(s); err != nil {
			t.Errorf("ValidateICCID(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range []string{"", "89148000000840784", strings.Repeat("8", 23), "8914800000084078425X"} {
		if err := ValidateICCID(s); err == nil {
			t.Errorf("ValidateICCID(%q) = nil, want an error", s)
		}
	}
}

func TestEIDChecksumOK(t *testing.T) {
	cases := map[string]bool{
		sourceDocumentEID:                  false, // 30 digits: the GSMA rule needs 32
		"89049032000001000000000000000074": true,  // the architecture document's example
		"89049032123451234512345678901235": true,  // GSMA SGP.29 example
		"89049032123451234512345678901234": false,
		strings.Repeat("0", 31) + "1":      true, // value 1: 1 mod 97 = 1
		strings.Repeat("0", 30) + "98":     true, // 98 mod 97 = 1
		strings.Repeat("0", 30) + "97":     false,
		"8904903212345123451234567890123a": false,
	}
	for s, want := range cases {
		if got := EIDChecksumOK(s); got != want {
			t.Errorf("EIDChecksumOK(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestICCIDLuhnOK(t *testing.T) {
	cases := map[string]bool{
		sourceDocumentICCID:    false,
		"89148000000840784250": false,
		"8914800000084078425":  false,
		"79927398713":          true, // the textbook Luhn example
		"79927398710":          false,
		"89014103211118510720": true,
		"0":                    false,
		"8901410321111851072a": false,
	}
	for s, want := range cases {
		if got := ICCIDLuhnOK(s); got != want {
			t.Errorf("ICCIDLuhnOK(%q) = %v, want %v", s, got, want)
		}
	}
}
