package thingspace

// DeviceSummary is what the device list says about one device, flattened to one value per fact:
// the one place that knows where each fact sits in ThingSpace's device shape. A fact ThingSpace
// does not give is "".
type DeviceSummary struct {
	EID, ICCID, IMEI, MDN string
	// State and ServicePlan come from the device's first carrier information: ThingSpace lists
	// one carrier per device for Verizon's own lines, and the documentation names no rule for
	// choosing among several.
	State, ServicePlan string
	IPAddress          string
	Connected          bool
	LastActivationDate string
}

// Summary flattens d. Identifier kinds are matched case-insensitively, as ThingSpace spells them
// in several cases.
func (d Device) Summary() DeviceSummary {
	s := DeviceSummary{
		EID:                d.DeviceIDs.Get(KindEID),
		ICCID:              d.DeviceIDs.Get(KindICCID),
		IMEI:               d.DeviceIDs.Get(KindIMEI),
		MDN:                d.DeviceIDs.Get(KindMDN),
		IPAddress:          d.IPAddress,
		Connected:          d.Connected,
		LastActivationDate: d.LastActivationDate,
	}
	if len(d.CarrierInformations) > 0 {
		s.State, s.ServicePlan = d.CarrierInformations[0].State, d.CarrierInformations[0].ServicePlan
	}
	return s
}
