# The fleet as one resource: register the relay as the account's callback listener, read the
# active devices from ThingSpace, and enable their (already downloaded) profile with one
# thingspace_euicc_profile_fleet_enablement. Beside examples/fleet, which gives every device its
# own download and enablement: this one suits fleets of hundreds or thousands, whose state and
# plan stay one resource, and where a device that fails must not fail the others.
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

# One resource for the whole fleet. A device added to the account is sent enable on the next
# apply, alone; a device that left it is sent disable; a device that failed is sent enable again.
resource "thingspace_euicc_profile_fleet_enablement" "all" {
  devices = { for d in data.thingspace_devices.active.devices : d.eid => d.iccid }

  disable_on_remove  = true
  disable_on_destroy = true

  depends_on = [thingspace_callback_listener.relay]

  # A failed device is a warning and stays in failed_devices; this turns it into a failed apply
  # without tainting the fleet, so the next apply retries only the failed devices.
  lifecycle {
    postcondition {
      condition     = self.status == "Success"
      error_message = "Devices failed: ${join(", ", self.failed_devices)}"
    }
  }
}

output "ip_addresses" {
  description = "Each device's IP address after the enable, by EID."
  value       = { for eid, _ in thingspace_euicc_profile_fleet_enablement.all.devices : eid => nonsensitive(jsondecode(thingspace_euicc_profile_fleet_enablement.all.results[eid]).ip_address) }
}
