# The `make demo` configuration: the relay registered as the account's callback listener, then
# two devices enabled with one request, against the simulator and the relay that `make demo`
# starts on loopback. The provider is configured entirely through THINGSPACE_* environment
# variables, and these variables through TF_VAR_*, as in CI.
terraform {
  required_providers {
    thingspace = {
      source = "euicc-ops/thingspace"
    }
  }
}

provider "thingspace" {}

variable "relay_callback_url" {
  description = "The relay's /callbacks URL, on a port ThingSpace delivers to."
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

# Tells ThingSpace where to send the results of profile actions (DeviceProfileService, the
# default service), with the credentials the relay checks on every callback.
resource "thingspace_callback_listener" "relay" {
  url      = var.relay_callback_url
  username = var.relay_callback_username
  # Terraform 1.11+ can keep it out of state: password_wo + password_wo_version.
  password = var.relay_callback_password
}

resource "thingspace_euicc_profile_enablement" "demo" {
  devices = [
    # The device of Verizon's documentation example: answers within a second.
    { eid = "666456789123456789123456784008", iccid = "89148000000840784259" },
    # A slow device: ThingSpace first reports a warning, then the success (scenario.json).
    { eid = "89049032000001000000000000000074", iccid = "8914800000084078423" },
  ]

  timeouts = {
    create = "5m"
  }

  # The callbacks must have somewhere to go before the enable request is sent.
  depends_on = [thingspace_callback_listener.relay]
}
