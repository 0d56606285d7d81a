# The `make demo` configuration: the relay registered as the account's callback listener, the
# account's active devices read from ThingSpace, the profile downloaded and then enabled on every
# one of them, against the simulator and the relay that `make demo` starts on loopback. The
# provider is configured entirely through THINGSPACE_* environment variables, and these
# variables through TF_VAR_*, as in CI.
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

# The fleet, as ThingSpace lists it: every active device of the account (the simulator has three,
# and one suspended device that the filter leaves out).
data "thingspace_devices" "active" {
  state = "active"
}

# Download the profile on every active device with one request (disabled until enabled below);
# destroying deletes it again.
resource "thingspace_euicc_profile_download" "demo" {
  devices           = [for d in data.thingspace_devices.active.devices : { eid = d.eid, iccid = d.iccid }]
  delete_on_destroy = true

  timeouts = {
    create = "5m"
    delete = "5m"
  }

  # The callbacks must have somewhere to go before the download request is sent.
  depends_on = [thingspace_callback_listener.relay]
}

# Then enable it on the same devices, with one request. One device is slow: ThingSpace first
# reports a warning, then the success (scenario.json).
resource "thingspace_euicc_profile_enablement" "demo" {
  devices = thingspace_euicc_profile_download.demo.devices

  timeouts = {
    create = "5m"
  }
}
