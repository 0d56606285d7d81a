package thingspace

import (
	"context"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// secretFieldKeys are log field names whose values are always masked, whoever logs them. The
// client never logs secrets; this guards against a field added later, or one a caller sets on
// the context.
var secretFieldKeys = []string{
	"password", "client_secret", "access_token", "session_token", "sessionToken",
	"token", "authorization", "Authorization", HeaderSessionToken, "relay_token", "callback_password",
}

// logDebug logs through tflog (a no-op when ctx carries no logger, i.e. outside the provider)
// with every secret the client knows masked by value, including tokens learned at run time.
func (c *Client) logDebug(ctx context.Context, msg string, fields map[string]any) {
	tflog.Debug(c.maskSecrets(ctx), msg, fields)
}

// maskSecrets derives a context whose logger masks the client's secrets. The set is read at
// each call because tokens change while the client runs.
func (c *Client) maskSecrets(ctx context.Context) context.Context {
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, secretFieldKeys...)
	if secrets := c.Secrets(); len(secrets) > 0 {
		ctx = tflog.MaskLogStrings(ctx, secrets...)
	}
	return ctx
}
