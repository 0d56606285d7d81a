# Refuse EIDs that fail the GSMA check at plan time, instead of the resource's warning.
variable "tracker_eid" {
  type = string

  validation {
    condition     = provider::thingspace::eid_valid(var.tracker_eid)
    error_message = "tracker_eid must be 32 digits whose value is 1 modulo 97 (GSMA SGP.02)."
  }
}
