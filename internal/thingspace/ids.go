package thingspace

import (
	"errors"
	"fmt"
)

// Identifier rules. The hard rules (digits, length) are what ThingSpace refuses; the GSMA and
// ITU check digits are separate functions because Verizon's own examples fail them, so callers
// may only ever warn about them.
const (
	MaxEIDDigits   = 32
	MinICCIDDigits = 18
	MaxICCIDDigits = 22
	// eidChecksumDigits is the length the GSMA mod-97 rule applies to.
	eidChecksumDigits = 32
)

// ValidateEID reports whether s can be an EID: 1 to 32 decimal digits. The error does not repeat
// the value, so callers can quote it in their own words.
func ValidateEID(s string) error { return validateDigits(s, 1, MaxEIDDigits) }

// ValidateICCID reports whether s can be an ICCID: 18 to 22 decimal digits.
func ValidateICCID(s string) error { return validateDigits(s, MinICCIDDigits, MaxICCIDDigits) }

func validateDigits(s string, minLen, maxLen int) error {
	if s == "" {
		return errors.New("it is empty")
	}
	if !allDigits(s) {
		return errors.New("it contains a character that is not a decimal digit (0-9)")
	}
	if len(s) < minLen || len(s) > maxLen {
		return fmt.Errorf("it has %d digits, and %d to %d are allowed", len(s), minLen, maxLen)
	}
	return nil
}

// EIDChecksumOK reports whether s passes the GSMA SGP.02 check: exactly 32 digits whose value,
// read as one decimal number, is 1 modulo 97.
func EIDChecksumOK(s string) bool {
	if len(s) != eidChecksumDigits || !allDigits(s) {
		return false
	}
	// Reduce digit by digit so no big-integer arithmetic is needed: (r*10+d) mod 97 keeps the
	// remainder of the prefix read so far.
	r := 0
	for i := 0; i < len(s); i++ {
		r = (r*10 + int(s[i]-'0')) % 97
	}
	return r == 1
}

// ICCIDLuhnOK reports whether the last digit of s is a valid Luhn check digit (ITU-T E.118).
func ICCIDLuhnOK(s string) bool {
	if len(s) < 2 || !allDigits(s) {
		return false
	}
	sum := 0
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if (len(s)-1-i)%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
