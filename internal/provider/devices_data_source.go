package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/validators"
)

var (
	_ datasource.DataSource              = (*devicesDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*devicesDataSource)(nil)
)

// devicesDataSource is thingspace_devices: every device of an account, read page by page.
type devicesDataSource struct {
	data *providerData
}

// NewDevicesDataSource is the data source factory the provider registers.
func NewDevicesDataSource() datasource.DataSource { return &devicesDataSource{} }

type devicesModel struct {
	AccountName types.String `tfsdk:"account_name"`
	State       types.String `tfsdk:"state"`
	Devices     types.List   `tfsdk:"devices"`
}

func (d *devicesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_devices"
}

func (d *devicesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: fmt.Sprintf("Lists the devices of a ThingSpace account, optionally only those in one service "+
			"state. Every page of ThingSpace's device list is read (up to %d devices a page), so the list is complete.",
			thingspace.DeviceListPageSize),
		Attributes: map[string]schema.Attribute{
			"account_name": schema.StringAttribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: fmt.Sprintf("Billing account whose devices are listed, leading zeros included (for "+
					"example `0000123456-00001`). Defaults to the provider's `%s` (or `%s`).", settingAccountName.attr,
					settingAccountName.env),
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"state": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: fmt.Sprintf("Lists only the devices in this service state: one of %s. Unset: every "+
					"device of the account.", markdownList(thingspace.DeviceStates())),
				Validators: []validator.String{validators.DeviceState()},
			},
			"devices": schema.ListNestedAttribute{
				Computed: true,
				MarkdownDescription: "The devices, in the order ThingSpace lists them: by ascending ThingSpace device " +
					"id, the key its device list pages by. A device keeps its id, so the order is stable between reads " +
					"and new devices come last; use a `for` expression keyed by `eid` where the position must not matter.",
				NestedObject: listedDeviceObject(),
			},
		},
	}
}

// listedDeviceObject is the element of devices; the list's element type is derived from it.
func listedDeviceObject() schema.NestedAttributeObject {
	return schema.NestedAttributeObject{Attributes: listedDeviceAttributes(false)}
}

func (d *devicesDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (d *devicesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	ctx = d.data.logContext(ctx)
	var model devicesModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	client, ok := d.data.requireClient(&resp.Diagnostics, "list devices")
	if resp.Diagnostics.HasError() || !ok {
		return
	}
	if model.AccountName.IsNull() {
		switch account := d.data.accountName; {
		case account.unknown:
			resp.Diagnostics.Append(providerNotReady("list devices"))
			return
		case account.missing():
			resp.Diagnostics.Append(missingAccountName())
			return
		default:
			model.AccountName = types.StringValue(account.value)
		}
	}
	account := model.AccountName.ValueString()
	ctx = tflog.SetField(ctx, "account_name", account)

	devices, err := client.ListDevices(ctx, thingspace.DeviceListRequest{AccountName: account, CurrentState: model.State.ValueString()})
	if err != nil {
		resp.Diagnostics.Append(devicesNotListed(account, err))
		return
	}
	tflog.Debug(ctx, "Listed the account's devices", map[string]any{"devices": len(devices)})
	listedType := listedDeviceType()
	listed := make([]attr.Value, len(devices))
	for i, device := range devices {
		object, diags := newListedDeviceModel(device).object(listedType)
		resp.Diagnostics.Append(diags...)
		listed[i] = object
	}
	list, diags := types.ListValue(listedType, listed)
	resp.Diagnostics.Append(diags...)
	model.Devices = list
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}

// listedDeviceType is the type of the elements of devices, derived from the schema. A
// NestedAttributeObject without a CustomType always has an ObjectType; were it ever not, the
// zero ObjectType would make types.ObjectValue report the mismatch as an error diagnostic.
func listedDeviceType() types.ObjectType {
	t, _ := listedDeviceObject().Type().(types.ObjectType)
	return t
}

// markdownList writes values as inline code, comma-separated: `a`, `b`.
func markdownList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "`" + v + "`"
	}
	return strings.Join(quoted, ", ")
}
