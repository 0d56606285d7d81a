package provider

import (
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/validators"
)

// The attributes of a device as the device list describes it, shared by thingspace_devices (one
// object per device) and thingspace_device (the attributes of the data source itself).

// listedDeviceModel is one device. It is the whole model of thingspace_device, and the element
// of thingspace_devices' devices.
type listedDeviceModel struct {
	EID                types.String `tfsdk:"eid"`
	ICCID              types.String `tfsdk:"iccid"`
	IMEI               types.String `tfsdk:"imei"`
	MDN                types.String `tfsdk:"mdn"`
	State              types.String `tfsdk:"state"`
	ServicePlan        types.String `tfsdk:"service_plan"`
	IPAddress          types.String `tfsdk:"ip_address"`
	Connected          types.Bool   `tfsdk:"connected"`
	LastActivationDate types.String `tfsdk:"last_activation_date"`
}

func newListedDeviceModel(d thingspace.Device) listedDeviceModel {
	s := d.Summary()
	return listedDeviceModel{
		EID:                types.StringValue(s.EID),
		ICCID:              types.StringValue(s.ICCID),
		IMEI:               types.StringValue(s.IMEI),
		MDN:                types.StringValue(s.MDN),
		State:              types.StringValue(s.State),
		ServicePlan:        types.StringValue(s.ServicePlan),
		IPAddress:          types.StringValue(s.IPAddress),
		Connected:          types.BoolValue(s.Connected),
		LastActivationDate: types.StringValue(s.LastActivationDate),
	}
}

// object is m as an element of listedType. It is built without the framework's reflection
// (types.ListValueFrom), which costs about ten times as much per device: for a fleet of 10,000 it
// decided most of a plan's time and memory.
func (m listedDeviceModel) object(listedType types.ObjectType) (types.Object, diag.Diagnostics) {
	return types.ObjectValue(listedType.AttrTypes, map[string]attr.Value{
		"eid": m.EID, "iccid": m.ICCID, "imei": m.IMEI, "mdn": m.MDN, "state": m.State, "service_plan": m.ServicePlan,
		"ip_address": m.IPAddress, "connected": m.Connected, "last_activation_date": m.LastActivationDate,
	})
}

// deviceIdentifierKinds are the identifiers a device can be looked up by, as attribute names
// and ThingSpace's kinds alike.
var deviceIdentifierKinds = []string{thingspace.KindEID, thingspace.KindICCID, thingspace.KindIMEI, thingspace.KindMDN}

// listedDeviceAttributes is the schema of listedDeviceModel. With lookup, the identifiers are
// also inputs (thingspace_device); otherwise every attribute is computed.
func listedDeviceAttributes(lookup bool) map[string]schema.Attribute {
	const unsaid = " Empty when ThingSpace does not say."
	identifier := func(description string, checks ...validator.String) schema.StringAttribute {
		if !lookup {
			return schema.StringAttribute{Computed: true, MarkdownDescription: description + unsaid}
		}
		return schema.StringAttribute{
			Optional: true,
			Computed: true,
			MarkdownDescription: description + " Set exactly one of `eid`, `iccid`, `imei` and `mdn` to look the device " +
				"up by it; the others are read from ThingSpace." + unsaid,
			Validators: checks,
		}
	}
	computed := func(description string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: description}
	}
	return map[string]schema.Attribute{
		"eid":          identifier("eUICC identifier (EID) of the device: up to 32 decimal digits.", validators.EID()),
		"iccid":        identifier("ICCID of the SIM profile ThingSpace knows the device by.", validators.ICCID()),
		"imei":         identifier("IMEI of the device.", stringvalidator.LengthAtLeast(1)),
		"mdn":          identifier("Mobile directory number (phone number) of the device.", stringvalidator.LengthAtLeast(1)),
		"state":        computed("Service state of the device: `active`, `deactive`, `suspend` or `pre-active`." + unsaid),
		"service_plan": computed("Service plan code of the device, for example `RP4235311`." + unsaid),
		"ip_address":   computed("IP address of the device." + unsaid),
		"connected": schema.BoolAttribute{
			Computed:            true,
			MarkdownDescription: "Whether ThingSpace reports the device as connected to the network.",
		},
		"last_activation_date": computed("When the device's service was last activated, as ThingSpace writes it " +
			"(an ISO 8601 date and time)." + unsaid),
	}
}
