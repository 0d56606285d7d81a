package main

import (
	"fmt"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// device is one device the benchmark enables.
type device struct{ EID, ICCID string }

// devicesFor returns n distinct devices for one measurement. Every measurement gets its own
// range (block), so no device is enabled twice in a run and the plans carry no identifier
// warnings: each EID passes the GSMA check and each ICCID the Luhn check.
func devicesFor(block, n int) []device {
	out := make([]device, n)
	for i := range out {
		serial := block*100000 + i
		out[i] = device{EID: gsmaEID(serial), ICCID: luhnICCID(serial)}
	}
	return out
}

// gsmaEID is a 32-digit EID whose value is 1 modulo 97: 30 digits that name the serial, then
// the two check digits that make the remainder come out right.
func gsmaEID(serial int) string {
	body := fmt.Sprintf("890490320000%018d", serial)
	r := 0
	for _, c := range body {
		r = (r*10 + int(c-'0')) % 97
	}
	// body*100 + check ≡ 1 (mod 97), with check in 0..96.
	check := ((1-r*100)%97 + 97) % 97
	return fmt.Sprintf("%s%02d", body, check)
}

// luhnICCID is a 19-digit ICCID (Verizon's 891480 prefix) ending in its Luhn check digit.
func luhnICCID(serial int) string {
	body := fmt.Sprintf("891480%012d", serial)
	for d := '0'; d <= '9'; d++ {
		if candidate := body + string(d); thingspace.ICCIDLuhnOK(candidate) {
			return candidate
		}
	}
	panic("unreachable: one of ten check digits always satisfies Luhn")
}
