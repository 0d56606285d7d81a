package simulator

import (
	"crypto/rand"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"strings"
)

// The device of Verizon's enable example (enable-local-profile.txt): it answers with exactly the
// example's data, so the documented exchange can be replayed byte for byte.
const (
	sourceDocumentEID   = "666456789123456789123456784008"
	sourceDocumentICCID = "89148000000840784259"
)

var sourceDocumentIdentity = identity{
	IMEI: "666456789014008", MDN: "2022326360", IPAddress: "101.0.1.216", ServicePlan: "RP4235311",
	ICCID: sourceDocumentICCID,
}

// servicePlans are plan codes in the shape Verizon uses, to vary the derived data a little.
var servicePlans = []string{"RP4235311", "RP4235312", "RP4235400"}

// identity is what ThingSpace knows about a device besides its EID. It is derived from the EID
// alone, so a device has the same data in every run and in every test.
type identity struct {
	IMEI, MDN, IPAddress, ServicePlan string
	// ICCID is used until a request names the device's ICCID.
	ICCID string
}

func deriveIdentity(eid string) identity {
	if eid == sourceDocumentEID {
		return sourceDocumentIdentity
	}
	sum := sha512.Sum512([]byte(eid))
	digits := func(from, n int) string {
		var b strings.Builder
		for _, v := range sum[from : from+n] {
			b.WriteByte('0' + v%10)
		}
		return b.String()
	}
	return identity{
		IMEI:        withLuhnDigit("35" + digits(0, 12)),
		MDN:         string(rune('2'+sum[12]%8)) + digits(13, 9),
		IPAddress:   fmt.Sprintf("10.%d.%d.%d", sum[22], sum[23], 1+sum[24]%254),
		ServicePlan: servicePlans[int(sum[25])%len(servicePlans)],
		ICCID:       withLuhnDigit("8914800000" + digits(26, 9)),
	}
}

// credential is the device's network credential as the example shows it: MDN-based.
func (id identity) credential() (username, password string) { return id.MDN + "@vzw4g.com", id.MDN }

// withLuhnDigit appends the Luhn check digit, so derived IMEIs and ICCIDs look real.
func withLuhnDigit(payload string) string {
	sum := 0
	for i := len(payload) - 1; i >= 0; i-- {
		d := int(payload[i] - '0')
		if (len(payload)-i)%2 == 1 { // doubled: every second digit from the right, check digit excluded
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return payload + string(rune('0'+(10-sum%10)%10))
}

// newUUID returns a random (version 4) UUID, the shape of ThingSpace's requestIds and tokens.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
