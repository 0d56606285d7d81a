# The ID is the requestId ThingSpace answered to the download request.
terraform import thingspace_euicc_profile_download.trackers 595f5c44-c31c-4552-8670-020a1545a84d
