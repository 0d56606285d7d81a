# Enable the downloaded profile on every active device of the account. The devices go out in
# requests of at most 200, each device is followed on its own, and a failed device is a warning
# and an entry in failed_devices; the postcondition turns it into a failed apply, and the next
# apply sends enable to the failed devices only.
data "thingspace_devices" "active" {
  state = "active"
}

resource "thingspace_euicc_profile_fleet_enablement" "all" {
  devices = { for d in data.thingspace_devices.active.devices : d.eid => d.iccid } # EID => ICCID

  # account_name and smsr_oid default to the provider's; changing them replaces the fleet.

  # Send disable to a device removed from the map, and to every device on destroy.
  disable_on_remove  = true
  disable_on_destroy = true

  timeouts = {
    create = "45m" # slow devices: ThingSpace sends a warning first, the result later
    update = "30m"
  }

  lifecycle {
    postcondition {
      condition     = self.status == "Success"
      error_message = "Devices failed: ${join(", ", self.failed_devices)}"
    }
  }
}

output "fleet_ip_addresses" {
  value = { for eid, _ in thingspace_euicc_profile_fleet_enablement.all.devices : eid => nonsensitive(jsondecode(thingspace_euicc_profile_fleet_enablement.all.results[eid]).ip_address) }
}
