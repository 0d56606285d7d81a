package provider

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/profileops"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

func TestApplyReportMapsResults(t *testing.T) {
	ctx := context.Background()
	completed := time.Date(2026, 3, 4, 5, 6, 7, 891000000, time.FixedZone("CET", 3600))
	var m enablementModel
	m.started("R-1")
	diags := m.applyReport(ctx, &profileops.Report{
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
	var results map[string]resultModel
	if diags := m.Results.ElementsAs(ctx, &results, false); diags.HasError() {
		t.Fatal(diags)
	}
	if got := results["111"]; got.IPAddress.ValueString() != "10.0.0.1" || got.CredentialPassword.ValueString() != "pw" || got.ICCID.ValueString() != "222" {
		t.Fatalf("result 111 = %+v", got)
	}
	// Fields a failure callback does not carry are null, not "".
	if got := results["333"]; !got.IPAddress.IsNull() || got.Status.ValueString() != "Failed" {
		t.Fatalf("result 333 = %+v", got)
	}
}

func TestStartedThenPendingReportLeavesCompletedAtUnset(t *testing.T) {
	var m enablementModel
	m.started("R-2")
	if diags := m.applyReport(context.Background(), &profileops.Report{Status: profileops.StatusPending}); diags.HasError() {
		t.Fatal(diags)
	}
	if !m.CompletedAt.IsNull() || m.Status.ValueString() != "Pending" || m.Results.IsNull() || len(m.Results.Elements()) != 0 {
		t.Fatalf("model = %+v", m)
	}
	if m.ID != types.StringValue("R-2") {
		t.Fatalf("id = %s", m.ID)
	}
}
