# Every active device of the provider's account, read page by page from ThingSpace.
data "thingspace_devices" "active" {
  state = "active" # or deactive, suspend, pre-active; unset: every device
  # account_name defaults to the provider's
}

# Enable the downloaded profile on all of them: the device list gives each EID and ICCID.
resource "thingspace_euicc_profile_enablement" "active" {
  for_each = { for d in data.thingspace_devices.active.devices : d.eid => d }
  devices  = [{ eid = each.value.eid, iccid = each.value.iccid }]
}

output "never_activated" {
  value = [for d in data.thingspace_devices.active.devices : d.eid if d.last_activation_date == ""]
}
