package provider

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/profileops"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// TestPlanFleetChange is the rule ModifyPlan shows and Update applies: which devices are sent
// enable, which disable, and which keep their result untouched.
func TestPlanFleetChange(t *testing.T) {
	ctx := context.Background()
	device := func(eid string) thingspace.RequestedDevice {
		return thingspace.RequestedDevice{EID: eid, ICCID: "89148000000840784" + eid}
	}
	prior := fleetModel{
		Devices: types.MapValueMust(types.StringType, map[string]attr.Value{
			"01": types.StringValue(device("01").ICCID), // succeeded: kept
			"02": types.StringValue(device("02").ICCID), // failed: sent again
			"03": types.StringValue(device("03").ICCID), // not sent: sent again
			"04": types.StringValue(device("04").ICCID), // pending: kept, its answer is read by refresh
			"05": types.StringValue(device("05").ICCID), // ICCID changes: sent
			"06": types.StringValue(device("06").ICCID), // removed
		}),
	}
	failed := thingspace.DeviceResult{EID: "02", FaultCode: "X"}
	entries := fleetEntries{
		"01": finalEntry("R-1", thingspace.DeviceResult{EID: "01", IPAddress: "10.0.0.1"}, false),
		"02": finalEntry("R-1", failed, true),
		"03": notSentEntry(device("03")),
		"04": pendingEntry("R-2", device("04")),
		"05": finalEntry("R-2", thingspace.DeviceResult{EID: "05"}, false),
		"06": finalEntry("R-2", thingspace.DeviceResult{EID: "06"}, false),
	}
	prior.setEntries(entries)
	if prior.Status.ValueString() != string(profileops.StatusFailed) {
		t.Errorf("status with a failed, an unsent and a pending device = %s, want Failed", prior.Status)
	}
	var failedDevices []string
	prior.FailedDevices.ElementsAs(ctx, &failedDevices, false)
	if !slices.Equal(failedDevices, []string{"02", "03"}) {
		t.Errorf("failed_devices = %v, want the failed and the unsent device, sorted", failedDevices)
	}

	for _, disableOnRemove := range []bool{false, true} {
		plan := fleetModel{
			Devices: types.MapValueMust(types.StringType, map[string]attr.Value{
				"01": types.StringValue(device("01").ICCID),
				"02": types.StringValue(device("02").ICCID),
				"03": types.StringValue(device("03").ICCID),
				"04": types.StringValue(device("04").ICCID),
				"05": types.StringValue("8914800000084078499"),
				"07": types.StringValue(device("07").ICCID), // added: sent
			}),
			DisableOnRemove: types.BoolValue(disableOnRemove),
		}
		change, diags := planFleetChange(ctx, &prior, &plan)
		if diags.HasError() {
			t.Fatal(diags)
		}
		if got := eidsOf(change.enable); !slices.Equal(got, []string{"02", "03", "05", "07"}) {
			t.Errorf("enable = %v, want the failed, unsent, changed and added devices", got)
		}
		if change.enable[2].ICCID != "8914800000084078499" {
			t.Errorf("the changed device is sent with ICCID %s, want the new one", change.enable[2].ICCID)
		}
		wantDisable := []string(nil)
		if disableOnRemove {
			wantDisable = []string{"06"}
		}
		if got := eidsOf(change.disable); !slices.Equal(got, wantDisable) && len(got)+len(wantDisable) > 0 {
			t.Errorf("disable_on_remove %v: disable = %v, want %v", disableOnRemove, got, wantDisable)
		}
		if disableOnRemove && change.disable[0].ICCID != device("06").ICCID {
			t.Errorf("a removed device is disabled with ICCID %s, want the one it had", change.disable[0].ICCID)
		}
		if len(change.kept) != 2 || change.kept["01"].encode() != entries["01"].encode() || change.kept["04"].encode() != entries["04"].encode() {
			t.Errorf("kept = %v, want devices 01 and 04 untouched", change.kept)
		}
	}
}

// TestFleetEntryEncoding: an entry is stored as a JSON object with every field, null when unset,
// in one order, so reading and writing an unchanged device gives the same string (a plan never
// shows it as changed) and a configuration can read any field of any entry.
func TestFleetEntryEncoding(t *testing.T) {
	result := thingspace.DeviceResult{EID: "01", ICCID: "8914800000084078401", IPAddress: "10.0.0.1",
		CredentialPassword: `p"w\d`}
	entry := finalEntry("R-1", result, false)
	stored := entry.encode()

	decoded, err := decodeEntry(stored)
	if err != nil {
		t.Fatal(err)
	}
	if rebuilt := (fleetEntry{fields: decoded.fields}).encode(); !maps.Equal(decoded.fields, entry.fields) || rebuilt != stored {
		t.Errorf("%s read back as %v, written again as %s", stored, decoded.fields, rebuilt)
	}
	// An entry read from state is written back as it was, whatever its layout, so a device the
	// apply does not touch never shows as changed.
	edited := `{"status": "Success",  "request_id": "R-1"}`
	if e, err := decodeEntry(edited); err != nil || e.encode() != edited || e.fields["status"] != "Success" {
		t.Errorf("%s read back as %v and written as %s (%v)", edited, e.fields, e.encode(), err)
	}
	var fields map[string]*string
	if err := json.Unmarshal([]byte(stored), &fields); err != nil {
		t.Fatal(err)
	}
	if len(fields) != len(resultAttributes)+1 {
		t.Errorf("%s has %d fields, want the enablement's %d plus request_id", stored, len(fields), len(resultAttributes))
	}
	for name, want := range map[string]string{"ip_address": "10.0.0.1", "credential_password": `p"w\d`,
		"status": "Success", "request_id": "R-1"} {
		if fields[name] == nil || *fields[name] != want {
			t.Errorf("%s: %s = %v, want %q", stored, name, fields[name], want)
		}
	}
	if v, ok := fields["mdn"]; !ok || v != nil {
		t.Errorf("%s: an unreported field must be present and null", stored)
	}
	last := -1
	for _, f := range fleetResultFields {
		at := strings.Index(stored, `"`+f.name+`":`)
		if at < last {
			t.Errorf("%s: %s is out of order", stored, f.name)
		}
		last = at
	}

	if _, diags := readEntries(types.MapValueMust(types.StringType, map[string]attr.Value{
		"01": types.StringValue("not json")})); !diags.HasError() {
		t.Error("an entry that is not JSON must be an error")
	}
}
