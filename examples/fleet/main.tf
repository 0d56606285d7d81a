# A fleet team's whole workflow in one root module: register the relay as the account's callback
# listener, read the active devices from ThingSpace, download and enable the profile on each,
# and expose each device's address. Destroying it deletes the downloaded profiles and
# deregisters the listener.
#
# The provider is configured through THINGSPACE_* environment variables (credentials, account,
# SM-SR, relay URL and token), so this module holds no secret.
terraform {
  required_providers {
    thingspace = {
      source = "euicc-ops/thingspace"
    }
  }
}

provider "thingspace" {}

variable "relay_callback_url" {
  description = "The relay's /callbacks URL, on a port ThingSpace delivers to (443, for example)."
  type        = string
}

variable "relay_callback_username" {
  description = "The relay's --callback-username."
  type        = string
}

variable "relay_callback_password" {
  description = "The relay's --callback-password."
  type        = string
  sensitive   = true
}

variable "profile_iccid" {
  description = "The ICCID of the profile to download and enable on every device, by EID. Devices not listed keep the ICCID ThingSpace reports."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for iccid in values(var.profile_iccid) : provider::thingspace::iccid_valid(iccid)])
    error_message = "Every ICCID must be 18 to 22 digits ending in a valid Luhn check digit."
  }
}

# Where ThingSpace sends the outcome of every profile action.
resource "thingspace_callback_listener" "relay" {
  url      = var.relay_callback_url
  username = var.relay_callback_username
  password = var.relay_callback_password
}

# The fleet, read from ThingSpace: every active device of the provider's account.
data "thingspace_devices" "active" {
  state = "active"
}

locals {
  # EID => ICCID of the profile each device gets.
  fleet = {
    for d in data.thingspace_devices.active.devices :
    d.eid => lookup(var.profile_iccid, d.eid, d.iccid)
  }
}

# One download per device: adding a device to the fleet downloads its profile without touching
# the others; destroying deletes the downloaded profile.
resource "thingspace_euicc_profile_download" "fleet" {
  for_each = local.fleet

  devices           = [{ eid = each.key, iccid = each.value }]
  delete_on_destroy = true

  depends_on = [thingspace_callback_listener.relay]
}

# Then enable the downloaded profile on each device.
resource "thingspace_euicc_profile_enablement" "fleet" {
  for_each = thingspace_euicc_profile_download.fleet

  devices = each.value.devices
}

output "ip_addresses" {
  description = "Each device's IP address after the enable, by EID."
  value       = { for eid, e in thingspace_euicc_profile_enablement.fleet : eid => e.results[eid].ip_address }
}
