output "status" {
  description = "Success once every device reported success."
  value       = thingspace_euicc_profile_enablement.demo.status
}

output "request_ids" {
  description = "The ThingSpace requestIds of the download and the enable request."
  value = {
    download = thingspace_euicc_profile_download.demo.request_id
    enable   = thingspace_euicc_profile_enablement.demo.request_id
  }
}

output "discovered_devices" {
  description = "The active devices ThingSpace listed: EID => ICCID."
  value       = { for d in data.thingspace_devices.active.devices : d.eid => d.iccid }
}

output "devices" {
  description = "Per device (by EID): its address and profile status after the enable."
  value = {
    for eid, result in thingspace_euicc_profile_enablement.demo.results : eid => {
      ip_address     = result.ip_address
      profile_status = result.profile_status
    }
  }
}

output "callback_listener" {
  description = "The listener ThingSpace sends the callbacks to (ACCOUNT/SERVICE)."
  value       = "${thingspace_callback_listener.relay.id} -> ${thingspace_callback_listener.relay.url}"
}
