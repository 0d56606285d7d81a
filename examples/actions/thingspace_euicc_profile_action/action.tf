# Terraform 1.14 or later. An action records nothing in state: it runs when invoked.

# Disable the profile on two devices, returning them to their bootstrap profile. Run it with
#   terraform apply -invoke=action.thingspace_euicc_profile_action.disable_wave_1
# Terraform shows each device's callback as it arrives, and fails naming every device that failed.
action "thingspace_euicc_profile_action" "disable_wave_1" {
  config {
    action = "disable" # download_enable, download_disable, enable, disable or delete
    devices = [
      { eid = "89049032000001000000000000000074", iccid = "8914800000084078423" },
      { eid = "89049032000001000000000000000171", iccid = "8914800000084078431" },
    ]
    # account_name and smsr_oid default to the provider's.
    timeouts = { invoke = "30m" } # the default
  }
}

# Or let a resource run an action when it is created (or updated): here the profile of a new
# rollout wave is downloaded and enabled once, when the wave is first applied.
action "thingspace_euicc_profile_action" "enable_wave_2" {
  config {
    action  = "download_enable"
    devices = [{ eid = "89049032000001000000000000000268", iccid = "8914800000084078449" }]
  }
}

resource "terraform_data" "wave_2" {
  input = "wave-2"
  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.thingspace_euicc_profile_action.enable_wave_2]
    }
  }
}
