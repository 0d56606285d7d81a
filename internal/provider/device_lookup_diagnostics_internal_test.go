package provider

import "github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"

// listedWithMDN is how the device list shows devices that all have one MDN, for the wording of
// deviceAmbiguous.
func listedWithMDN(devices []thingspace.RequestedDevice, mdn string) []thingspace.Device {
	out := make([]thingspace.Device, len(devices))
	for i, d := range devices {
		out[i] = thingspace.Device{AccountName: "0000123456-00001", DeviceIDs: thingspace.DeviceIDs{
			{Kind: thingspace.KindEID, ID: d.EID}, {Kind: thingspace.KindICCID, ID: d.ICCID}, {Kind: thingspace.KindMDN, ID: mdn},
		}}
	}
	return out
}
