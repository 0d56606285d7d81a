package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Lines as Terraform 1.11 writes them to TF_LOG_PATH with TF_LOG_PROVIDER=INFO (shortened).
const providerLog = `2026-11-28T18:56:56.487Z [INFO]  provider: configuring client automatic mTLS
2026-11-28T18:56:56.672Z [INFO]  provider.terraform-provider-thingspace: Enable request accepted; waiting for the devices' callbacks: @caller=/work/main/internal/provider/euicc_profile_enablement_resource.go:236 devices=1 request_id=req-a tf_rpc=ApplyResourceChange
2026-11-28T18:56:58.675Z [INFO]  provider.terraform-provider-thingspace: Device reached a final state: @module=thingspace status=Success observed_at=2026-11-28T18:56:58.675129307Z outcome=success eid=11 request_id=req-a seq=1 relay_received_at=2026-11-28T18:56:58.673943Z tf_req_id=0feb9eb0
2026-11-28T18:56:58.675Z [INFO]  provider.terraform-provider-thingspace: Create finished: @module=thingspace eids=[11] tf_rpc=ApplyResourceChange observed_at=2026-11-28T18:56:58.675483163Z request_id=req-a status=Success tf_req_id=0feb9eb0
2026-11-28T18:56:58.700Z [INFO]  provider.terraform-provider-thingspace: Device reached a final state: eid=21 request_id=req-b seq=1 observed_at=2026-11-28T18:56:58.701Z relay_received_at=2026-11-28T18:56:58.690Z note="a quoted value: with request_id=wrong inside"
2026-11-28T18:56:58.800Z [INFO]  provider.terraform-provider-thingspace: Device reached a final state: eid=22 request_id=req-b seq=2 observed_at=2026-11-28T18:56:58.801Z relay_received_at=2026-11-28T18:56:58.795Z
2026-11-28T18:56:58.810Z [INFO]  provider.terraform-provider-thingspace: Create finished: eids=[21 22] request_id=req-b observed_at=2026-11-28T18:56:58.805Z status=Success
2026-11-28T18:56:58.684Z [INFO]  provider: plugin process exited: plugin=.terraform/providers/terraform-provider-thingspace id=16738
`

func writeLog(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "apply.log")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestProviderOverheadsMeasureFromTheLastStoredFinalCallback(t *testing.T) {
	devices := []device{{EID: "11"}, {EID: "21"}, {EID: "22"}}
	overhead, wake, err := providerOverheads(writeLog(t, providerLog), devices)
	if err != nil {
		t.Fatal(err)
	}
	byValue := map[time.Duration]bool{}
	for _, d := range overhead {
		byValue[d] = true
	}
	// req-a: 58.675483163 - 58.673943; req-b: 58.805 - 58.795 (its later device).
	want := []time.Duration{1540163 * time.Nanosecond, 10 * time.Millisecond}
	if len(overhead) != 2 || !byValue[want[0]] || !byValue[want[1]] {
		t.Fatalf("overheads = %v, want %v in any order", overhead, want)
	}
	if len(wake) != 2 {
		t.Fatalf("wake-ups = %v, want one per request", wake)
	}
}

func TestProviderOverheadsRefuseAnIncompleteLog(t *testing.T) {
	for name, c := range map[string]struct {
		log     string
		devices []device
	}{
		"device without a create": {providerLog, []device{{EID: "11"}, {EID: "21"}, {EID: "22"}, {EID: "99"}}},
		"create without its final state": {
			strings.ReplaceAll(providerLog, "Device reached a final state: @module=thingspace", "Device progress: @module=thingspace"),
			[]device{{EID: "11"}, {EID: "21"}, {EID: "22"}},
		},
		"unreadable time": {
			strings.Replace(providerLog, "observed_at=2026-11-28T18:56:58.805Z", "observed_at=yesterday", 1),
			[]device{{EID: "11"}, {EID: "21"}, {EID: "22"}},
		},
	} {
		if _, _, err := providerOverheads(writeLog(t, c.log), c.devices); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestLogFieldsReadQuotedAndListValues(t *testing.T) {
	got := logFields(`a=1 eids=[x y] note="say \"hi\" request_id=no" request_id=req-1`)
	if got["a"] != "1" || got["eids"] != "[x y]" || got["note"] != `say "hi" request_id=no` || got["request_id"] != "req-1" {
		t.Fatalf("fields = %#v", got)
	}
}

// Terraform prefixes each line a provisioner prints with the resource address.
const scriptOutput = `terraform_data.device["11"]: Creating...
terraform_data.device["11"]: Provisioning with 'local-exec'...
terraform_data.device["11"] (local-exec): enable request req-a sent for EID 11
terraform_data.device["22"] (local-exec): enabled EID 22 request_id=req-b finished_at=2026-11-28T18:57:05.100000000Z
terraform_data.device["11"] (local-exec): enabled EID 11 request_id=req-a finished_at=2026-11-28T18:57:05.250000000Z
terraform_data.device["11"]: Creation complete after 5s [id=3c5d]
`

func TestScriptOverheadsPairFinishesWithStoredCallbacks(t *testing.T) {
	devices := []device{{EID: "11"}, {EID: "22"}}
	finished, err := scriptFinishes(scriptOutput, devices)
	if err != nil {
		t.Fatal(err)
	}
	if ids := requestIDs(finished); len(ids) != 2 || ids[0] != "req-a" || ids[1] != "req-b" {
		t.Fatalf("request ids = %v", ids)
	}
	stored := map[string]time.Time{
		"req-a": time.Date(2026, 11, 28, 18, 57, 2, 0, time.UTC),
		"req-b": time.Date(2026, 11, 28, 18, 57, 4, 100e6, time.UTC),
	}
	got, err := scriptOverheads(finished, stored)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != 3250*time.Millisecond || got[1] != time.Second {
		t.Fatalf("overheads = %v, want [3.25s 1s]", got)
	}
	delete(stored, "req-b")
	if _, err := scriptOverheads(finished, stored); err == nil {
		t.Fatal("a request the relay holds nothing for was accepted")
	}
	if _, err := scriptFinishes(scriptOutput, append(devices, device{EID: "33"})); err == nil {
		t.Fatal("a device whose script never finished was accepted")
	}
}
