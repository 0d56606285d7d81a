package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

var (
	_ datasource.DataSource                     = (*deviceDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*deviceDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*deviceDataSource)(nil)
)

// deviceDataSource is thingspace_device: one device, looked up by one of its identifiers.
type deviceDataSource struct {
	data *providerData
}

// NewDeviceDataSource is the data source factory the provider registers.
func NewDeviceDataSource() datasource.DataSource { return &deviceDataSource{} }

func (d *deviceDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_device"
}

func (d *deviceDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one device from ThingSpace's device list, looked up by exactly one of its EID, " +
			"ICCID, IMEI or MDN. It is an error when no device, or more than one, has that identifier.",
		Attributes: listedDeviceAttributes(true),
	}
}

// ConfigValidators makes a missing or second identifier a plan-time error.
func (d *deviceDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	identifiers := make([]path.Expression, len(deviceIdentifierKinds))
	for i, kind := range deviceIdentifierKinds {
		identifiers[i] = path.MatchRoot(kind)
	}
	return []datasource.ConfigValidator{datasourcevalidator.ExactlyOneOf(identifiers...)}
}

func (d *deviceDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (d *deviceDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	ctx = d.data.logContext(ctx)
	var model listedDeviceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	client, ok := d.data.requireClient(&resp.Diagnostics, "look up a device")
	if resp.Diagnostics.HasError() || !ok {
		return
	}
	kind, value := model.identifier()
	ctx = tflog.SetField(ctx, "device_"+kind, value)

	devices, err := client.ListDevices(ctx, thingspace.DeviceListRequest{DeviceID: &thingspace.DeviceID{Kind: kind, ID: value}})
	switch {
	case thingspace.ErrorCode(err) == thingspace.CodeDeviceNotFound || err == nil && len(devices) == 0:
		resp.Diagnostics.Append(deviceNotFound(kind, value))
		return
	case err != nil:
		resp.Diagnostics.Append(deviceNotListed(kind, value, err))
		return
	case len(devices) > 1:
		resp.Diagnostics.Append(deviceAmbiguous(kind, value, devices))
		return
	}
	found := newListedDeviceModel(devices[0])
	// Terraform refuses a configured value that comes back changed, and ThingSpace compares
	// identifiers loosely (the kind's case at least), so the identifier stays as written.
	*found.identifiers()[kind] = types.StringValue(value)
	resp.Diagnostics.Append(resp.State.Set(ctx, &found)...)
}

// identifier is the one identifier the configuration sets (ConfigValidators guarantees one), as
// ThingSpace's kind and value.
func (m *listedDeviceModel) identifier() (kind, value string) {
	ids := m.identifiers()
	for _, kind := range deviceIdentifierKinds {
		if !ids[kind].IsNull() {
			return kind, ids[kind].ValueString()
		}
	}
	return "", ""
}

// identifiers are the model's identifier attributes, by kind.
func (m *listedDeviceModel) identifiers() map[string]*types.String {
	return map[string]*types.String{thingspace.KindEID: &m.EID, thingspace.KindICCID: &m.ICCID,
		thingspace.KindIMEI: &m.IMEI, thingspace.KindMDN: &m.MDN}
}
