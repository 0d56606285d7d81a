package provider

import (
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/profileops"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

func TestApplyReportMapsResults(t *testing.T) {
	completed := time.Date(2026, 3, 4, 5, 6, 7, 891000000, time.FixedZone("CET", 3600))
	var m enablementModel
	m.started("R-1")
	diags := m.applyReport(&profileops.Report{
		Status:      profileops.StatusFailed,
		CompletedAt: completed,
		Results: map[string]thingspace.DeviceResult{
			"111": {EID: "111", ICCID: "222", IPAddress: "10.0.0.1", Status: "Success", CredentialPassword: "pw"},
			"333": {EID: "333", Status: "Failed", FaultCode: "X"},
		},
	})
	if diags.HasError() {
		t.Fatal(diags)
	}
	if m.Status.ValueString() != "Failed" || m.CompletedAt.ValueString() != "2026-03-04T04:06:07Z" || m.RequestID.ValueString() != "R-1" {
		t.Fatalf("status %s, completed_at %s, request_id %s", m.Status, m.CompletedAt, m.RequestID)
	}
	result := func(eid, name string) types.String {
		t.Helper()
		entry, ok := m.Results.Elements()[eid].(types.Object)
		if !ok {
			t.Fatalf("no result for %s: %s", eid, m.Results)
		}
		value, _ := entry.Attributes()[name].(types.String)
		return value
	}
	if result("111", "ip_address").ValueString() != "10.0.0.1" || result("111", "credential_password").ValueString() != "pw" ||
		result("111", "iccid").ValueString() != "222" {
		t.Fatalf("result 111 = %s", m.Results.Elements()["111"])
	}
	// Fields a failure callback does not carry are null, not "".
	if !result("333", "ip_address").IsNull() || result("333", "status").ValueString() != "Failed" {
		t.Fatalf("result 333 = %s", m.Results.Elements()["333"])
	}
}

// Every field of a device's final callback is shown in results, except the EID (the map key)
// and the fault (reported as a diagnostic): a field added to thingspace.DeviceResult without its
// results attribute fails here.
func TestEveryDeviceResultFieldIsAResultAttribute(t *testing.T) {
	notShown := map[string]bool{"EID": true, "FaultCode": true, "FaultString": true}
	var r thingspace.DeviceResult
	fields := reflect.ValueOf(&r).Elem()
	for i := range fields.NumField() {
		fields.Field(i).SetString(fields.Type().Field(i).Name)
	}
	result, diags := newResult(r)
	if diags.HasError() {
		t.Fatal(diags)
	}
	shown := map[string]bool{}
	for _, v := range result.Attributes() {
		s, ok := v.(types.String)
		if !ok {
			t.Fatalf("result attribute %v is not a string", v)
		}
		shown[s.ValueString()] = true
	}
	for i := range fields.NumField() {
		name := fields.Type().Field(i).Name
		if shown[name] == notShown[name] {
			t.Errorf("DeviceResult.%s: shown in results = %t, want %t", name, shown[name], !notShown[name])
		}
	}
	if len(result.Attributes()) != fields.NumField()-len(notShown) {
		t.Errorf("results has %d attributes for %d fields", len(result.Attributes()), fields.NumField()-len(notShown))
	}
}

func TestStartedThenPendingReportLeavesCompletedAtUnset(t *testing.T) {
	var m enablementModel
	m.started("R-2")
	if diags := m.applyReport(&profileops.Report{Status: profileops.StatusPending}); diags.HasError() {
		t.Fatal(diags)
	}
	if !m.CompletedAt.IsNull() || m.Status.ValueString() != "Pending" || m.Results.IsNull() || len(m.Results.Elements()) != 0 {
		t.Fatalf("model = %+v", m)
	}
	if m.ID != types.StringValue("R-2") {
		t.Fatalf("id = %s", m.ID)
	}
}
