package thingspace_test

import (
	"encoding/json"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

func TestDeviceSummary(t *testing.T) {
	// Kinds in the cases ThingSpace uses, and a second carrier that must not win.
	const listed = `{"accountName":"0000123456-00001",
		"deviceIds":[{"kind":"EID","id":"89049032000001000000000000000074"},{"kind":"Iccid","id":"8914800000084078423"},
			{"kind":"imei","id":"353456789012345"},{"Kind":"MDN","Identifier":"2025550123"}],
		"carrierInformations":[{"carrierName":"Verizon Wireless","servicePlan":"RP4235311","state":"suspend"},
			{"carrierName":"Other","servicePlan":"X","state":"active"}],
		"connected":false,"ipAddress":"10.1.2.3","lastActivationDate":"2026-01-02T03:04:05Z"}`
	var d thingspace.Device
	if err := json.Unmarshal([]byte(listed), &d); err != nil {
		t.Fatal(err)
	}
	want := thingspace.DeviceSummary{EID: "89049032000001000000000000000074", ICCID: "8914800000084078423", IMEI: "353456789012345",
		MDN: "2025550123", State: "suspend", ServicePlan: "RP4235311", IPAddress: "10.1.2.3", LastActivationDate: "2026-01-02T03:04:05Z"}
	if got := d.Summary(); got != want {
		t.Fatalf("summary =\n%+v\nwant\n%+v", got, want)
	}
	if got := (thingspace.Device{}).Summary(); got != (thingspace.DeviceSummary{}) {
		t.Fatalf("summary of a device ThingSpace says nothing about = %+v, want every fact empty", got)
	}
}
