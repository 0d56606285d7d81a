# The `make demo` configuration: two devices enabled with one request, against the simulator
# and the relay that `make demo` starts on loopback. The provider is configured entirely
# through THINGSPACE_* environment variables, as in CI.
terraform {
  required_providers {
    thingspace = {
      source = "euicc-ops/thingspace"
    }
  }
}

provider "thingspace" {}

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
}
