# Look a device up by the number printed on its label: exactly one of eid, iccid, imei, mdn.
data "thingspace_device" "tracker" {
  imei = "359000000000018"
}

output "tracker" {
  value = {
    eid        = data.thingspace_device.tracker.eid
    iccid      = data.thingspace_device.tracker.iccid
    state      = data.thingspace_device.tracker.state
    ip_address = data.thingspace_device.tracker.ip_address
  }
}
