# Enable the downloaded profile on two trackers with one ThingSpace request. The apply
# returns once both have answered, with each device's new address in `results`.
resource "thingspace_euicc_profile_enablement" "trackers" {
  devices = [
    { eid = "89049032000001000000000000000074", iccid = "8914800000084078423" },
    { eid = "89049032000001000000000000000171", iccid = "8914800000084078431" },
  ]

  # account_name and smsr_oid default to the provider's; the plan shows the values sent.

  # Send the disable action on destroy (returns the devices to their bootstrap profile).
  disable_on_destroy = true

  timeouts = {
    create = "45m" # slow devices: ThingSpace sends a warning first, the result later
  }
}

output "tracker_ip_addresses" {
  value = {
    for eid, result in thingspace_euicc_profile_enablement.trackers.results : eid => result.ip_address
  }
}
