package provider

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/profileops"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relayclient"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// updateGolden rewrites testdata/diagnostics from what the code says now:
// go test ./internal/provider/ -run TestDiagnosticWording -update, then review the diff.
var updateGolden = flag.Bool("update", false, "rewrite the golden files of TestDiagnosticWording")

// The phases whose wording the golden files hold: the enablement's, the download's and the
// action's.
var (
	actionEnable     = invokePhase(thingspace.ActionEnable, actionStateHints[thingspace.ActionEnable])
	actionDisable    = invokePhase(thingspace.ActionDisable, actionStateHints[thingspace.ActionDisable])
	enablementCreate = enablement.createPhase(thingspace.ActionEnable)
	enablementDelete = enablement.destroyPhase()
	downloadCreate   = download.createPhase(thingspace.ActionDownloadEnable)
	downloadDelete   = download.destroyPhase()
)

// TestDiagnosticWording holds the full text of every diagnostic the provider builds, one golden
// file each, so a change of wording is a reviewed diff rather than an accident.
func TestDiagnosticWording(t *testing.T) {
	devices := []thingspace.RequestedDevice{{EID: "89049032000001000000000000000074", ICCID: "8914800000084078423"},
		{EID: "89049032000001000000000000000082"}}
	report := &profileops.Report{Pending: []profileops.PendingDevice{
		{RequestedDevice: devices[0], LastStatus: "Warning"},
		{RequestedDevice: devices[1]},
	}}
	// A server message that ends with its own full stop, as ThingSpace's often do.
	accountNotFound := &thingspace.Error{HTTPStatus: 400, Envelope: thingspace.EnvelopeM2M,
		Code: "UnifiedWebService.REQUEST_FAILED.AccountNotFound", ShortCode: thingspace.CodeAccountNotFound,
		Message: "Account 0000123456-00001 does not exist.", Operation: "enable profile", Attempts: 1}
	lostAnswer := &thingspace.Error{HTTPStatus: 502, Operation: "enable profile", Attempts: 1, OutcomeUnknown: true,
		Hint: "ThingSpace may have acted on the request, so it was not repeated automatically: check the outcome before trying again."}
	deviceStateInvalid := &thingspace.Error{HTTPStatus: 400, Envelope: thingspace.EnvelopeM2M,
		Code: "DeviceProfileService." + thingspace.CodeDeviceStateInvalid, ShortCode: thingspace.CodeDeviceStateInvalid,
		Message: "The device is not active.", Operation: "download_enable profile", Attempts: 1}
	disableStateInvalid := *deviceStateInvalid
	disableStateInvalid.Operation = "disable profile"
	relayRefused := fmt.Errorf("%w: %w", profileops.ErrRelayUnreadable, &relayclient.StatusError{StatusCode: 401})
	relayDown := errors.New(`giving up on the relay after 10 consecutive failures: Get "http://127.0.0.1:1/v1/requests/R-1": connection refused`)
	failures := []thingspace.DeviceResult{
		{EID: devices[0].EID, ICCID: devices[0].ICCID, FaultCode: "DeviceService.REQUEST_FAILED.DeviceNotFound", FaultString: "Device does not exist."},
		{EID: devices[1].EID, FaultCode: "SMSR.EXECUTED_FAILED"},
		{EID: "89049032000001000000000000000090"},
	}

	cases := map[string]diag.Diagnostics{
		"action_not_sent_create_refused":        {actionNotSent(enablementCreate, devices, accountNotFound)},
		"action_not_sent_delete_refused":        {actionNotSent(enablementDelete, devices, errors.New("disable profile: ThingSpace answered HTTP 400 Bad Request"))},
		"action_not_sent_relay_unreadable":      {actionNotSent(enablementCreate, devices, relayRefused)},
		"outcome_unknown_create":                {actionNotSent(enablementCreate, devices, lostAnswer)},
		"outcome_unknown_delete":                {actionNotSent(enablementDelete, devices, lostAnswer)},
		"device_failures":                       deviceFailures(enablementCreate, "R-1", failures),
		"wait_ended_create_timeout":             {waitEnded(enablementCreate, "R-1", 30*time.Minute, report, context.DeadlineExceeded)},
		"wait_ended_create_interrupted":         {waitEnded(enablementCreate, "R-1", 30*time.Minute, report, context.Canceled)},
		"wait_ended_create_relay_lost":          {waitEnded(enablementCreate, "R-1", 30*time.Minute, report, relayDown)},
		"wait_ended_delete_timeout":             {waitEnded(enablementDelete, "R-2", 5*time.Minute, report, context.DeadlineExceeded)},
		"download_action_not_sent_device_state": {actionNotSent(downloadCreate, devices, deviceStateInvalid)},
		"download_outcome_unknown_create":       {actionNotSent(downloadCreate, devices, lostAnswer)},
		"download_outcome_unknown_delete":       {actionNotSent(downloadDelete, devices, lostAnswer)},
		"download_device_failures":              deviceFailures(downloadCreate, "R-1", failures[:1]),
		"download_wait_ended_create_timeout":    {waitEnded(downloadCreate, "R-1", 30*time.Minute, report, context.DeadlineExceeded)},
		"download_wait_ended_delete_timeout":    {waitEnded(downloadDelete, "R-2", 5*time.Minute, report, context.DeadlineExceeded)},
		"download_import_failed_nothing_stored": {importFailed(download.request, "R-1", profileops.ErrNothingStored)},
		"invoke_not_sent_device_state":          {actionNotSent(actionDisable, devices, &disableStateInvalid)},
		"invoke_outcome_unknown":                {actionNotSent(actionEnable, devices, lostAnswer)},
		"invoke_device_failures":                deviceFailures(actionEnable, "R-1", failures[:2]),
		"invoke_wait_ended_timeout":             {waitEnded(actionEnable, "R-1", 2*time.Minute, report, context.DeadlineExceeded)},
		"invoke_wait_ended_interrupted":         {waitEnded(actionEnable, "R-1", 30*time.Minute, report, context.Canceled)},
		"invoke_missing_default":                {missingDefault(settingSmsrOid, "action")},
		"invoke_provider_not_ready":             {providerNotReady("invoke the action")},
		"provider_not_ready":                    {providerNotReady("import")},
		"refresh_failed":                        {refreshFailed("R-1", relayDown)},
		"import_failed_nothing_stored":          {importFailed("enable", "R-1", profileops.ErrNothingStored)},
		"import_failed_other":                   {importFailed("enable", "R-1", errors.New("the relay holds 2 callback(s) for request R-1 but none names a device by EID"))},
		"missing_default":                       {missingDefault(settingAccountName, "resource")},
		"missing_setting":                       {missingSetting(settingRelayURL, "the address of the thingspace-relay that receives ThingSpace's callbacks")},
		"missing_credential_none":               {missingCredential(thingspace.OAuthCredentials, "client_id", false)},
		"missing_credential_half_with_token":    {missingCredential(thingspace.M2MCredentials, "password", true)},
		"invalid_setting_url":                   {invalidSetting(settingBaseURL, thingspace.CheckHTTPURL("https://user:pw@thingspace.example.com"))},
		"setting_in_clear":                      {settingInClear(settingRelayURL)},
		"invalid_setting_without_environment":   {invalidSetting(settingRequestTimeout, errors.New(`"0s" is not a positive duration`))},
		"unexpected_provider_data":              {unexpectedProviderData()},
		"client_not_built":                      {clientNotBuilt("relay", errors.New(`relay URL "relay" is not an http:// or https:// URL`))},
		"devices_not_listed_unknown_account":    {devicesNotListed("0000123456-00001", accountNotFound)},
		"devices_not_listed_other":              {devicesNotListed("0000123456-00001", errors.New("list devices: ThingSpace answered HTTP 503 Service Unavailable (gave up after 6 attempts)"))},
		"device_not_listed":                     {deviceNotListed("imei", "353456789012345", errors.New("list devices: ThingSpace answered HTTP 500 Internal Server Error"))},
		"device_not_found":                      {deviceNotFound("iccid", devices[0].ICCID)},
		"device_ambiguous":                      {deviceAmbiguous("mdn", "2025550123", listedWithMDN(devices, "2025550123"))},
		"missing_account_name":                  {missingAccountName()},
		"fleet_not_sent_alone":                  {fleetNotSent(thingspace.ActionEnable, devices, accountNotFound, true)},
		"fleet_not_sent_outcome_unknown":        {fleetNotSent(thingspace.ActionEnable, devices, lostAnswer, false)},
		"fleet_not_sent_relay_unreadable":       {fleetNotSent(thingspace.ActionEnable, devices, relayRefused, true)},
		"fleet_not_sent_disable":                {fleetNotSent(thingspace.ActionDisable, devices[:1], accountNotFound, false)},
		"fleet_outcome_failures_and_timeout":    fleetOutcome(thingspace.ActionEnable, "create", 30*time.Minute, fleetWaited(23, context.DeadlineExceeded)),
		"fleet_outcome_interrupted":             fleetOutcome(thingspace.ActionEnable, "update", 30*time.Minute, fleetWaited(1, context.Canceled)),
		"fleet_outcome_relay_lost":              fleetOutcome(thingspace.ActionEnable, "create", 30*time.Minute, fleetWaited(0, relayDown)),
		"fleet_outcome_disable":                 fleetOutcome(thingspace.ActionDisable, "update", 5*time.Minute, fleetWaited(1, context.DeadlineExceeded)),
		"fleet_destroy_wait_ended":              {waitEnded(fleetDestroyPhase(), "R-2", 5*time.Minute, report, context.DeadlineExceeded)},
		"fleet_change_planned":                  {fleetChangePlanned(fleetEIDs(102), fleetEIDs(2))},
		"fleet_import_id_missing":               {fleetImportIDMissing(" , ")},
	}
	for name, diags := range cases {
		t.Run(name, func(t *testing.T) {
			got := renderDiagnostics(diags)
			checkCarefulWording(t, diags)
			file := filepath.Join("testdata", "diagnostics", name+".txt")
			if *updateGolden {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if got != string(want) {
				t.Errorf("%s changed (run with -update to accept):\n--- got\n%s\n--- want\n%s", file, got, want)
			}
		})
	}
}

// fleetWaited is a fleet's wait in two requests: failed devices (the first two with their own
// codes, the rest alike), and in the second request one device answered by a warning only and
// one by nothing, left pending when the wait ended with err.
func fleetWaited(failed int, err error) []profileops.Waited {
	first := &profileops.Report{RequestID: "R-1"}
	for i, eid := range fleetEIDs(failed) {
		f := thingspace.DeviceResult{EID: eid, ICCID: "8914800000084078423", FaultCode: "DeviceService.INPUT_INVALID.DeviceState.Invalid",
			FaultString: "The device is not active."}
		switch i {
		case 0:
			f.FaultCode, f.FaultString = "SMSR.EXECUTED_FAILED", ""
		case 1:
			f.FaultCode, f.FaultString = "", ""
		}
		first.Failed = append(first.Failed, f)
	}
	pending := fleetEIDs(2)
	second := &profileops.Report{RequestID: "R-2", Pending: []profileops.PendingDevice{
		{RequestedDevice: thingspace.RequestedDevice{EID: pending[1], ICCID: "8914800000084078423"}, LastStatus: "Warning"},
		{RequestedDevice: thingspace.RequestedDevice{EID: pending[0]}},
	}}
	return []profileops.Waited{
		{Sent: profileops.Sent{RequestID: "R-1"}, Report: first},
		{Sent: profileops.Sent{RequestID: "R-2"}, Report: second, Err: err},
	}
}

func fleetEIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("890490320000010000000000000%05d", i)
	}
	return out
}

func renderDiagnostics(diags diag.Diagnostics) string {
	var b strings.Builder
	for i, d := range diags {
		if i > 0 {
			b.WriteString("\n====\n\n")
		}
		fmt.Fprintf(&b, "severity: %s\n", d.Severity())
		if p, ok := d.(diag.DiagnosticWithPath); ok {
			fmt.Fprintf(&b, "attribute: %s\n", p.Path())
		}
		fmt.Fprintf(&b, "summary: %s\n\n%s\n", d.Summary(), d.Detail())
	}
	return b.String()
}

// doubledStop is a full stop after a full stop, other than an ellipsis.
var doubledStop = regexp.MustCompile(`[^.]\.\.(?:[^.]|$)`)

// checkCarefulWording catches, in any diagnostic, the slips a golden file would only record.
func checkCarefulWording(t *testing.T, diags diag.Diagnostics) {
	t.Helper()
	for _, d := range diags {
		text := d.Summary() + "\n" + d.Detail()
		if doubledStop.MatchString(text) {
			t.Errorf("%q has a doubled full stop:\n%s", d.Summary(), text)
		}
		for _, once := range []string{"not sent", "nothing was sent", "relay_token /", "relay_url /"} {
			if n := strings.Count(strings.ToLower(text), once); n > 1 {
				t.Errorf("%q says %q %d times:\n%s", d.Summary(), once, n, text)
			}
		}
		if strings.HasSuffix(d.Summary(), ".") || !strings.HasSuffix(strings.TrimSpace(d.Detail()), ".") {
			t.Errorf("%q: a summary has no full stop and a detail ends with one:\n%s", d.Summary(), text)
		}
	}
}
