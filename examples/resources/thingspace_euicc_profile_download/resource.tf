# Download a profile to two trackers with one ThingSpace request, disabled: the trackers keep
# their current profile until an enablement switches them over. The apply returns once both
# have answered.
resource "thingspace_euicc_profile_download" "trackers" {
  devices = [
    { eid = "89049032000001000000000000000074", iccid = "8914800000084078423" },
    { eid = "89049032000001000000000000000171", iccid = "8914800000084078431" },
  ]

  # account_name and smsr_oid default to the provider's; the plan shows the values sent.

  # enable = true would send download_enable: the profile is enabled as soon as it arrives.

  # Send the delete action on destroy (removes the profile from the devices).
  delete_on_destroy = true
}

# Enable the downloaded profile once every download succeeded.
resource "thingspace_euicc_profile_enablement" "trackers" {
  devices = thingspace_euicc_profile_download.trackers.devices

  # Destroyed first: disables the profile, so the download's delete finds it disabled.
  disable_on_destroy = true
}
