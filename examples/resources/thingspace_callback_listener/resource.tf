# Register the relay as the account's DeviceProfileService listener: ThingSpace sends the
# results of profile actions to it, with these credentials in every callback.
variable "callback_password" {
  type      = string
  sensitive = true
  ephemeral = true # Terraform 1.10+: the value is never saved in a plan file either
}

resource "thingspace_callback_listener" "relay" {
  # account_name defaults to the provider's; service_name to "DeviceProfileService".
  url      = "https://relay.example.com/callbacks" # ports 80, 443, 9001-9006, 50551-50559, 28200-28220
  username = "thingspace"

  # Terraform 1.11+: the password is sent, never stored. Raise the version to send a new one.
  password_wo         = var.callback_password
  password_wo_version = 1
  # Older Terraform: `password = var.callback_password` (stored in state, marked sensitive).
}

# Enable profiles only once ThingSpace knows where to send the results.
resource "thingspace_euicc_profile_enablement" "trackers" {
  devices = [
    { eid = "89049032000001000000000000000074", iccid = "8914800000084078423" },
  ]
  depends_on = [thingspace_callback_listener.relay]
}
