output "status" {
  description = "Success once every device reported success."
  value       = thingspace_euicc_profile_enablement.demo.status
}

output "request_id" {
  description = "The ThingSpace requestId of the enable request."
  value       = thingspace_euicc_profile_enablement.demo.request_id
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
