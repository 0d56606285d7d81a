package validators_test

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/validators"
)

func TestCallbackPort(t *testing.T) {
	refused := want{errors: 1, contains: thingspace.CallbackPortsText()}
	cases := map[string]struct {
		value types.String
		want  want
	}{
		"https, default port":       {types.StringValue("https://relay.example.com/callbacks"), want{}},
		"http, default port":        {types.StringValue("http://relay.example.com/callbacks"), want{}},
		"allowed explicit port":     {types.StringValue("https://relay.example.com:9003/callbacks"), want{}},
		"port ThingSpace refuses":   {types.StringValue("https://relay.example.com:8443/callbacks"), refused},
		"loopback on a random port": {types.StringValue("http://127.0.0.1:39123/callbacks"), refused},
		// HTTPURL reports these; one message per mistake is enough.
		"no scheme":   {types.StringValue("relay.example.com:8443"), want{}},
		"ftp":         {types.StringValue("ftp://relay.example.com:8443/"), want{}},
		"credentials": {types.StringValue("https://u:p@relay.example.com:8443/"), want{}},
		"null":        {types.StringNull(), want{}},
		"unknown":     {types.StringUnknown(), want{}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			checkDiags(t, validateString(validators.CallbackPort(), c.value), c.want)
		})
	}
}

func TestCallbackURLInClear(t *testing.T) {
	inClear := want{warnings: 1, contains: "https://"}
	cases := map[string]struct {
		value types.String
		want  want
	}{
		"https":                {types.StringValue("https://relay.example.com/callbacks"), want{}},
		"http to another host": {types.StringValue("http://relay.example.com/callbacks"), inClear},
		"http to an address":   {types.StringValue("http://203.0.113.7:9001/callbacks"), inClear},
		"http on this machine": {types.StringValue("http://127.0.0.1:9001/callbacks"), want{}},
		"http to localhost":    {types.StringValue("http://localhost:9001/callbacks"), want{}},
		"malformed: HTTPURL's": {types.StringValue("relay.example.com"), want{}},
		"null":                 {types.StringNull(), want{}},
		"unknown":              {types.StringUnknown(), want{}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			checkDiags(t, validateString(validators.CallbackURLInClear(), c.value), c.want)
		})
	}
}
