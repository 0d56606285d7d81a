# The ID is the requestIds of the fleet's enable requests (the request_id values of its
# results), separated by commas.
terraform import thingspace_euicc_profile_fleet_enablement.all 595f5c44-c31c-4552-8670-020a1545a84d,0b8e2f4a-6c1d-4e8b-9a57-3f2d1c0e9b7a
