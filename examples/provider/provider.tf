terraform {
  required_providers {
    thingspace = {
      source  = "euicc-ops/thingspace"
      version = "~> 0.1"
    }
  }
}

# Secrets are best kept out of configuration: the provider reads THINGSPACE_CLIENT_ID,
# THINGSPACE_CLIENT_SECRET, THINGSPACE_USERNAME, THINGSPACE_PASSWORD and
# THINGSPACE_RELAY_TOKEN from the environment when the block does not set them.
provider "thingspace" {
  # Defaults for every thingspace_euicc_profile_enablement that does not set its own.
  account_name = "0000123456-00001"
  smsr_oid     = "1.3.6.1.4.1.31746.1.500.200.101.5"

  # The thingspace-relay registered as the account's DeviceProfileService listener.
  relay_url = "https://thingspace-relay.example.com"
}
