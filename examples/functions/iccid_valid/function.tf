# Refuse ICCIDs whose Luhn check digit is wrong at plan time, instead of the resource's warning.
variable "tracker_iccid" {
  type = string

  validation {
    condition     = provider::thingspace::iccid_valid(var.tracker_iccid)
    error_message = "tracker_iccid must be 18 to 22 digits ending in a valid Luhn check digit."
  }
}
