# The ID is the account name and the callback service, joined by "/".
terraform import thingspace_callback_listener.relay 0000123456-00001/DeviceProfileService
