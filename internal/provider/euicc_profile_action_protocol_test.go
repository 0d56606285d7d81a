package provider_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/acctest"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/provider"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// These tests speak the plugin protocol to the provider as Terraform 1.14 does for an action
// (GetProviderSchema, ConfigureProvider, InvokeAction and its stream of events), with the
// simulator and the relay on loopback. They need no CLI, so they also run where the CLI tests
// are skipped, and they see the events before any CLI formats them.

// actionServer is the provider server with its action RPC (terraform-plugin-go keeps
// InvokeAction out of tfprotov6.ProviderServer for now).
type actionServer interface {
	tfprotov6.ProviderServer
	InvokeAction(context.Context, *tfprotov6.InvokeActionRequest) (*tfprotov6.InvokeActionServerStream, error)
}

// configuredActionServer serves the provider configured for env, and returns the action's
// configuration type.
func configuredActionServer(t *testing.T, env *acctest.Env) (actionServer, tftypes.Object) {
	t.Helper()
	ctx := context.Background()
	served, err := acctest.ProviderFactories()[provider.TypeName]()
	if err != nil {
		t.Fatal(err)
	}
	server, ok := served.(actionServer)
	if !ok {
		t.Fatal("the provider server cannot invoke actions")
	}
	schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(schemas.Diagnostics) > 0 {
		t.Fatalf("GetProviderSchema: %v %v", err, schemas.Diagnostics)
	}
	action, ok := schemas.ActionSchemas["thingspace_euicc_profile_action"]
	if !ok {
		t.Fatalf("the provider has no thingspace_euicc_profile_action; actions: %v", schemas.ActionSchemas)
	}
	providerType := typeAs[tftypes.Object](t, schemas.Provider.ValueType())
	settings := map[string]tftypes.Value{}
	for name, attrType := range providerType.AttributeTypes {
		settings[name] = tftypes.NewValue(attrType, nil)
		if value, ok := env.Settings()[name]; ok {
			settings[name] = tftypes.NewValue(tftypes.String, value)
		}
	}
	config, err := tfprotov6.NewDynamicValue(providerType, tftypes.NewValue(providerType, settings))
	if err != nil {
		t.Fatal(err)
	}
	configured, err := server.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: &config})
	if err != nil || len(configured.Diagnostics) > 0 {
		t.Fatalf("ConfigureProvider: %v %v", err, configured.Diagnostics)
	}
	return server, typeAs[tftypes.Object](t, action.Schema.ValueType())
}

// actionValue is the action's configuration: action, devices and timeouts.invoke ("" for none).
func actionValue(t *testing.T, typ tftypes.Object, action string, devices []device, invoke string) *tfprotov6.DynamicValue {
	t.Helper()
	values := map[string]tftypes.Value{}
	for name, attrType := range typ.AttributeTypes {
		values[name] = tftypes.NewValue(attrType, nil)
	}
	values["action"] = tftypes.NewValue(tftypes.String, action)
	listType := typeAs[tftypes.List](t, typ.AttributeTypes["devices"])
	objectType := typeAs[tftypes.Object](t, listType.ElementType)
	var list []tftypes.Value
	for _, d := range devices {
		list = append(list, tftypes.NewValue(objectType, map[string]tftypes.Value{
			"eid": tftypes.NewValue(tftypes.String, d.eid), "iccid": tftypes.NewValue(tftypes.String, d.iccid)}))
	}
	values["devices"] = tftypes.NewValue(listType, list)
	if invoke != "" {
		values["timeouts"] = tftypes.NewValue(typ.AttributeTypes["timeouts"], map[string]tftypes.Value{
			"invoke": tftypes.NewValue(tftypes.String, invoke)})
	}
	config, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, values))
	if err != nil {
		t.Fatal(err)
	}
	return &config
}

// invocation is what one InvokeAction streamed: its progress messages, then its diagnostics.
type invocation struct {
	progress    []string
	diagnostics []*tfprotov6.Diagnostic
	completed   bool
}

// invoke runs the action and reads its whole stream; onProgress, if set, sees each message.
func invoke(ctx context.Context, t *testing.T, server actionServer, config *tfprotov6.DynamicValue, onProgress func(string)) invocation {
	t.Helper()
	stream, err := server.InvokeAction(ctx, &tfprotov6.InvokeActionRequest{
		ActionType: "thingspace_euicc_profile_action", Config: config})
	if err != nil {
		t.Fatalf("InvokeAction: %v", err)
	}
	var got invocation
	for event := range stream.Events {
		switch e := event.Type.(type) {
		case tfprotov6.ProgressInvokeActionEventType:
			if got.completed {
				t.Errorf("progress %q after the completed event", e.Message)
			}
			got.progress = append(got.progress, e.Message)
			if onProgress != nil {
				onProgress(e.Message)
			}
		case tfprotov6.CompletedInvokeActionEventType:
			got.completed, got.diagnostics = true, e.Diagnostics
		}
	}
	if !got.completed {
		t.Fatalf("the stream ended without a completed event; progress: %q", got.progress)
	}
	return got
}

func errorSummaries(diags []*tfprotov6.Diagnostic) []string {
	var out []string
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			out = append(out, d.Summary)
		}
	}
	return out
}

func TestAccProfileAction_protocolStreamsEachCallbackThenOneErrorPerFailedDevice(t *testing.T) {
	t.Parallel()
	env := acctest.NewEnv(t, simulator.Options{})
	devices := eids(3)
	slow, failing := devices[1], devices[2]
	env.Sim.SetDevice(slow.eid, simulator.DeviceBehavior{Outcome: simulator.OutcomeWarningThenSuccess,
		WarningDelay: simulator.Duration(10 * time.Millisecond), Delay: simulator.Duration(300 * time.Millisecond)})
	env.Sim.SetDevice(failing.eid, simulator.DeviceBehavior{Outcome: simulator.OutcomeFailure})
	server, typ := configuredActionServer(t, env)

	got := invoke(context.Background(), t, server, actionValue(t, typ, "delete", devices, ""), nil)

	if n := env.Sim.AcceptedActions(thingspace.ActionDelete); n != 1 {
		t.Errorf("the simulator accepted %d delete requests, want 1", n)
	}
	requestID := env.Sim.Device(devices[0].eid).LastRequestID
	if len(got.progress) != 5 {
		t.Errorf("%d progress events, want 5 (accepted, a warning and three final answers): %q", len(got.progress), got.progress)
	}
	if len(got.progress) > 0 && !strings.HasPrefix(got.progress[0], "ThingSpace accepted the delete request "+requestID) {
		t.Errorf("the first progress event is %q, want the accepted request", got.progress[0])
	}
	for _, d := range devices {
		status := "Success"
		if d == failing {
			status = "Failed"
		}
		want := fmt.Sprintf("Device %s (ICCID %s): %s", d.eid, d.iccid, status)
		if !containsPrefix(got.progress, want) {
			t.Errorf("no progress event begins %q: %q", want, got.progress)
		}
	}
	if summaries := errorSummaries(got.diagnostics); len(summaries) != 1 || summaries[0] != "Profile delete failed on device "+failing.eid {
		t.Errorf("errors %q, want one for %s", summaries, failing.eid)
	}
}

// Cancelling the invocation's context (Terraform's Ctrl-C) ends the wait at once with the
// interruption's error, and no progress follows.
func TestAccProfileAction_protocolCancelEndsTheWait(t *testing.T) {
	t.Parallel()
	env := acctest.NewEnv(t, simulator.Options{})
	d := eids(1)[0]
	env.Sim.SetDevice(d.eid, simulator.DeviceBehavior{Outcome: simulator.OutcomeSilence})
	server, typ := configuredActionServer(t, env)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	got := invoke(ctx, t, server, actionValue(t, typ, "enable", []device{d}, "10m"), func(string) { cancel() })

	requestID := env.Sim.Device(d.eid).LastRequestID
	if summaries := errorSummaries(got.diagnostics); len(summaries) != 1 ||
		summaries[0] != "Interrupted while waiting for the enable request "+requestID {
		t.Errorf("errors %q, want the interruption of request %s", summaries, requestID)
	}
	if len(got.progress) != 1 {
		t.Errorf("progress %q, want only the accepted request", got.progress)
	}
}

// A short timeouts.invoke ends the wait naming the request and the device still waiting.
func TestAccProfileAction_protocolTimeout(t *testing.T) {
	t.Parallel()
	env := acctest.NewEnv(t, simulator.Options{})
	d := eids(1)[0]
	env.Sim.SetDevice(d.eid, simulator.DeviceBehavior{Outcome: simulator.OutcomeSilence})
	server, typ := configuredActionServer(t, env)

	got := invoke(context.Background(), t, server, actionValue(t, typ, "download_disable", []device{d}, "1s"), nil)

	requestID := env.Sim.Device(d.eid).LastRequestID
	if summaries := errorSummaries(got.diagnostics); len(summaries) != 1 ||
		summaries[0] != "Timed out waiting for the download_disable request "+requestID {
		t.Fatalf("errors %q, want the timeout of request %s", summaries, requestID)
	}
	if detail := got.diagnostics[0].Detail; !strings.Contains(detail, "EID "+d.eid) || !strings.Contains(detail, "timeouts.invoke") {
		t.Errorf("the timeout does not name the pending device and timeouts.invoke:\n%s", detail)
	}
}

// typeAs is a schema type as the kind of type the schema declares.
func typeAs[T tftypes.Type](t *testing.T, typ tftypes.Type) T {
	t.Helper()
	as, ok := typ.(T)
	if !ok {
		t.Fatalf("schema type %s is not a %T", typ, as)
	}
	return as
}

func containsPrefix(messages []string, prefix string) bool {
	for _, m := range messages {
		if strings.HasPrefix(m, prefix) {
			return true
		}
	}
	return false
}
