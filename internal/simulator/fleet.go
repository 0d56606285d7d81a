package simulator

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// maxFleetDevices bounds a scenario's generated devices, so a typo cannot exhaust memory.
const maxFleetDevices = 1_000_000

// Fleet is a group of generated devices that exist from the start (and again after Reset), for
// the device list: Count devices in one account and one service state. Their identifiers are
// derived from their position among all generated devices, so every run lists the same fleet;
// EIDs pass the GSMA check and ICCIDs and IMEIs the Luhn check.
type Fleet struct {
	Count int `json:"count"`
	// State is the service state the device list reports; "" = active.
	State string `json:"state,omitempty"`
	// Account holds the devices; "" = DefaultAccount.
	Account string `json:"account,omitempty"`
}

// Validate reports a fleet the simulator cannot create; accounts are the accounts that exist.
func (f Fleet) Validate(accounts []string) error {
	var errs []error
	if f.Count < 1 || f.Count > maxFleetDevices {
		errs = append(errs, fmt.Errorf("count %d: 1 to %d devices", f.Count, maxFleetDevices))
	}
	if f.State != "" && !slices.Contains(thingspace.DeviceStates(), f.State) {
		errs = append(errs, fmt.Errorf("unknown state %q: use one of %s", f.State, strings.Join(thingspace.DeviceStates(), ", ")))
	}
	if f.Account != "" && !slices.Contains(accounts, f.Account) {
		errs = append(errs, fmt.Errorf("account %q is not one of the accounts %v", f.Account, accounts))
	}
	return errors.Join(errs...)
}

func (f Fleet) withDefaults() Fleet {
	orDefault(&f.State, thingspace.DeviceStateActive)
	orDefault(&f.Account, DefaultAccount)
	return f
}

// FleetEID is the EID of the generated device at index (0-based, across all fleets): 30 digits
// followed by the two GSMA check digits that make the value 1 modulo 97.
func FleetEID(index int) string {
	body := fmt.Sprintf("89049032000009%016d", index)
	r := 0
	for i := 0; i < len(body); i++ {
		r = (r*10 + int(body[i]-'0')) % 97
	}
	// (body*100 + check) mod 97 = 1
	check := (1 - r*100%97 + 97) % 97
	return fmt.Sprintf("%s%02d", body, check)
}

// fleetIdentity is what ThingSpace knows of the generated device at index. Unlike
// deriveIdentity it is built from the index, so no two devices of a large fleet share an ICCID,
// IMEI or MDN.
func fleetIdentity(index int) identity {
	return identity{
		IMEI:        withLuhnDigit(fmt.Sprintf("359%011d", index)),
		MDN:         fmt.Sprintf("3%09d", index),
		IPAddress:   fmt.Sprintf("10.%d.%d.%d", 100+index>>16%100, index>>8&0xff, index&0xff),
		ServicePlan: servicePlans[index%len(servicePlans)],
		ICCID:       withLuhnDigit(fmt.Sprintf("891480001%010d", index)),
	}
}

// addFleets creates every generated device, in order, after the devices that exist already.
func (st *state) addFleets(fleets []Fleet, now time.Time) {
	index := 0
	for _, f := range fleets {
		f = f.withDefaults()
		for range f.Count {
			eid, id := FleetEID(index), fleetIdentity(index)
			st.deviceSeq++
			st.devices[eid] = &device{seq: st.deviceSeq, eid: eid, iccid: id.ICCID, account: f.Account, id: id,
				state: f.State, profileStatus: profileStatusInitial, createdAt: now}
			index++
		}
	}
}
