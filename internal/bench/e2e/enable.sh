#!/bin/sh
# Enables the downloaded eSIM profile of one device through ThingSpace, then waits for the
# outcome that ThingSpace sends to our callback relay. Run by Terraform's local-exec
# provisioner, one device per resource:
#
#   EID=... ICCID=... ./enable.sh
#
# Needs THINGSPACE_BASE_URL, THINGSPACE_CLIENT_ID, THINGSPACE_CLIENT_SECRET,
# THINGSPACE_USERNAME, THINGSPACE_PASSWORD, THINGSPACE_ACCOUNT_NAME, THINGSPACE_SMSR_OID,
# THINGSPACE_RELAY_URL and THINGSPACE_RELAY_TOKEN in the environment.
set -eu

POLL_SECONDS=${POLL_SECONDS:-5}
MAX_POLLS=${MAX_POLLS:-360} # 30 minutes

# json_field NAME: the first string value of "NAME" in the JSON on stdin.
json_field() {
  sed -n "s/.*\"$1\" *: *\"\([^\"]*\)\".*/\1/p" | head -n 1
}

# 1. OAuth bearer.
token=$(curl -sS --fail-with-body -X POST "$THINGSPACE_BASE_URL/api/ts/v1/oauth2/token" \
  -u "$THINGSPACE_CLIENT_ID:$THINGSPACE_CLIENT_SECRET" \
  -H 'Content-Type: application/x-www-form-urlencoded' \
  -d 'grant_type=client_credentials' | json_field access_token)
[ -n "$token" ] || { echo "no access token from ThingSpace" >&2; exit 1; }

# 2. M2M session.
session=$(curl -sS --fail-with-body -X POST "$THINGSPACE_BASE_URL/api/m2m/v1/session/login" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "{\"username\":\"$THINGSPACE_USERNAME\",\"password\":\"$THINGSPACE_PASSWORD\"}" | json_field sessionToken)
[ -n "$session" ] || { echo "login to ThingSpace failed" >&2; exit 1; }

# 3. Enable the profile.
request_id=$(curl -sS --fail-with-body -X POST "$THINGSPACE_BASE_URL/api/m2m/v1/devices/profile/actions/enable" \
  -H "Authorization: Bearer $token" -H "VZ-M2M-Token: $session" -H 'Content-Type: application/json' \
  -d "{\"devices\":[{\"deviceIds\":[{\"kind\":\"eid\",\"id\":\"$EID\"},{\"kind\":\"iccid\",\"id\":\"$ICCID\"}]}],\"accountName\":\"$THINGSPACE_ACCOUNT_NAME\",\"smsrOid\":\"$THINGSPACE_SMSR_OID\"}" \
  | json_field requestId)
[ -n "$request_id" ] || { echo "ThingSpace did not accept the enable request" >&2; exit 1; }
echo "enable request $request_id sent for EID $EID"

# 4. Poll the relay until the device's final callback is there.
polls=0
while :; do
  answer=$(curl -sS --fail-with-body "$THINGSPACE_RELAY_URL/v1/requests/$request_id" \
    -H "Authorization: Bearer $THINGSPACE_RELAY_TOKEN")
  if echo "$answer" | grep -Eq '"status" *: *"(Failed|Failure)"'; then
    echo "EID $EID: enable FAILED (request $request_id): $answer" >&2
    exit 1
  fi
  if echo "$answer" | grep -Eq '"status" *: *"Success"'; then
    break
  fi
  polls=$((polls + 1))
  if [ "$polls" -ge "$MAX_POLLS" ]; then
    echo "EID $EID: no final answer for request $request_id after $polls polls" >&2
    exit 1
  fi
  sleep "$POLL_SECONDS"
done
echo "enabled EID $EID request_id=$request_id finished_at=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)"
