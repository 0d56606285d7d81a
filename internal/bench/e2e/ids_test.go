package main

import (
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

func TestDevicesAreDistinctAndPassTheirCheckDigits(t *testing.T) {
	seen := map[string]bool{}
	for block := range 3 {
		for _, d := range devicesFor(block, 600) {
			if !thingspace.EIDChecksumOK(d.EID) {
				t.Fatalf("EID %s fails the GSMA mod-97 check", d.EID)
			}
			if !thingspace.ICCIDLuhnOK(d.ICCID) || thingspace.ValidateICCID(d.ICCID) != nil {
				t.Fatalf("ICCID %s is not a valid Luhn ICCID", d.ICCID)
			}
			if seen[d.EID] || seen[d.ICCID] {
				t.Fatalf("device %+v repeats an identifier", d)
			}
			seen[d.EID], seen[d.ICCID] = true, true
		}
	}
}
