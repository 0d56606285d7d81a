package provider

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/profileops"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// A fleet's results hold one entry per device: the enablement's results entry (resultAttributes)
// plus the request that carried the device, with a status that also says Pending and NotSent.
//
// In state each entry is one string, a JSON object, rather than an object of 15 attributes.
// Every value in a resource's state is decoded, walked and encoded several times by Terraform
// and by the plugin framework on each refresh, plan and apply, so a fleet's cost grows with its
// number of values: 16 per device as objects (a plan of an applied 10,000-device fleet took
// 26 s), 2 per device this way. As a nested map attribute it was worse still: Terraform's plan
// time grew with the square of the fleet (1,600 devices took 58 s). BENCHMARKS.md has the figures.

// fleetResultField is one field of a results entry.
type fleetResultField struct{ name, description string }

// fleetResultFields are the fields of a results entry, sorted by name: the order of the JSON.
var fleetResultFields = func() []fleetResultField {
	fields := make([]fleetResultField, 0, len(resultAttributes)+1)
	for _, a := range resultAttributes {
		if a.name != "status" {
			fields = append(fields, fleetResultField{a.name, a.description})
		}
	}
	fields = append(fields,
		fleetResultField{"status", "`Success` or `Failed` (the device's final callback), `Pending` while it has " +
			"none, or `" + statusNotSent + "` when its request got no requestId from ThingSpace."},
		fleetResultField{"request_id", "The requestId of the request that last carried the device; null for `" +
			statusNotSent + "`."})
	slices.SortFunc(fields, func(a, b fleetResultField) int { return strings.Compare(a.name, b.name) })
	return fields
}()

// fleetResultsAttribute is results: a map of EID to a JSON string, sensitive as a whole because
// each entry holds the device's network credential.
func fleetResultsAttribute() schema.MapAttribute {
	var doc strings.Builder
	for _, f := range fleetResultFields {
		fmt.Fprintf(&doc, "\n  - `%s`: %s", f.name, f.description)
	}
	return schema.MapAttribute{
		Computed:    true,
		Sensitive:   true,
		ElementType: types.StringType,
		MarkdownDescription: "Each device's outcome, keyed by EID: what its final callback reported, or `Pending` " +
			"with the requestId to read it from. Each entry is a JSON object (read it with `jsondecode`), so that a " +
			"fleet of thousands of devices plans in seconds. Sensitive as a whole, because each entry holds the " +
			"device's network credential: read a field with `nonsensitive()`, for example " +
			"`nonsensitive(jsondecode(self.results[eid]).ip_address)`. Each object has every one of these keys, " +
			"null when the callback did not say:" + doc.String(),
		PlanModifiers: []planmodifier.Map{mapplanmodifier.UseStateForUnknown()},
	}
}

// fleetEntry is one device's results entry.
type fleetEntry struct {
	// fields are field name to value, absent when unset.
	fields map[string]string
	// stored is the entry as read from state, written back unchanged: a device the apply does
	// not touch keeps exactly its string, however it was written, so it never shows as changed
	// and the apply always matches the plan. Empty for an entry the provider built.
	stored string
}

// fleetEntries are the results entries, by EID.
type fleetEntries map[string]fleetEntry

// encode is the entry as stored: every field, in name order, null when unset.
func (e fleetEntry) encode() string {
	if e.stored != "" {
		return e.stored
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range fleetResultFields {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(f.name)
		b.Write(name)
		b.WriteByte(':')
		if v := e.fields[f.name]; v != "" {
			value, _ := json.Marshal(v)
			b.Write(value)
		} else {
			b.WriteString("null")
		}
	}
	b.WriteByte('}')
	return b.String()
}

// decodeEntry reads an entry as stored.
func decodeEntry(s string) (fleetEntry, error) {
	var fields map[string]*string
	if err := json.Unmarshal([]byte(s), &fields); err != nil {
		return fleetEntry{}, err
	}
	e := fleetEntry{fields: make(map[string]string, len(fields)), stored: s}
	for name, v := range fields {
		if v != nil && *v != "" {
			e.fields[name] = *v
		}
	}
	return e, nil
}

func readEntries(results types.Map) (fleetEntries, diag.Diagnostics) {
	entries := fleetEntries{}
	if results.IsNull() || results.IsUnknown() {
		return entries, nil
	}
	var diags diag.Diagnostics
	for eid, v := range results.Elements() {
		s, ok := v.(types.String)
		if !ok || s.IsNull() || s.IsUnknown() {
			continue // an entry the plan leaves to the apply
		}
		entry, err := decodeEntry(s.ValueString())
		if err != nil {
			diags.AddError("Unreadable results entry", "The results entry of "+eid+" in state is not the JSON "+
				"object the provider writes ("+err.Error()+"). Was the state edited by hand? Restore it, or remove "+
				"the fleet from state and import it by its requestIds.")
			continue
		}
		entries[eid] = entry
	}
	return entries, diags
}

// values are the entries as the results map holds them.
func (es fleetEntries) values() map[string]attr.Value {
	values := make(map[string]attr.Value, len(es))
	for eid, e := range es {
		values[eid] = types.StringValue(e.encode())
	}
	return values
}

func finalEntry(requestID string, r thingspace.DeviceResult, failed bool) fleetEntry {
	fields := make(map[string]string, len(fleetResultFields))
	for _, a := range resultAttributes {
		if v := a.value(r); v != "" {
			fields[a.name] = v
		}
	}
	fields["status"] = string(profileops.StatusSuccess)
	if failed {
		fields["status"] = string(profileops.StatusFailed)
	}
	fields["request_id"] = requestID
	return fleetEntry{fields: fields}
}

func pendingEntry(requestID string, d thingspace.RequestedDevice) fleetEntry {
	return fleetEntry{fields: map[string]string{"iccid": d.ICCID, "status": string(profileops.StatusPending), "request_id": requestID}}
}

func notSentEntry(d thingspace.RequestedDevice) fleetEntry {
	return fleetEntry{fields: map[string]string{"iccid": d.ICCID, "status": statusNotSent}}
}
