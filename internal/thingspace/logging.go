package thingspace

import (
	"context"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// secretLogKeys are log field names whose values are always masked, whoever logs them. Nothing
// logs secrets under these names today; this guards against a field added later.
var secretLogKeys = []string{
	"password", "client_secret", "access_token", "access-token", "session_token", "sessionToken",
	"token", "authorization", "Authorization", HeaderSessionToken, "relay_token", "callback_password",
	"credential_password",
}

// MaskSecrets returns ctx with tflog masking the secret field keys and, wherever they appear in
// messages or field values, the given secret values. The provider calls it once per operation
// with the secrets it was configured with; the client adds the tokens it obtains at run time
// (see logDebug), which only it knows.
func MaskSecrets(ctx context.Context, secrets ...string) context.Context {
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, secretLogKeys...)
	return maskValues(ctx, secrets)
}

func maskValues(ctx context.Context, secrets []string) context.Context {
	var known []string
	for _, s := range secrets {
		if s != "" {
			known = append(known, s)
		}
	}
	if len(known) == 0 {
		return ctx
	}
	return tflog.MaskLogStrings(ctx, known...)
}

// logDebug logs through tflog (a no-op when ctx carries no logger, i.e. outside the provider)
// with the tokens the client has obtained masked by value. They are read at each call because
// they change while the client runs; the configured secrets and the secret keys are masked
// once, by whoever made ctx (MaskSecrets).
func (c *Client) logDebug(ctx context.Context, msg string, fields map[string]any) {
	tflog.Debug(maskValues(ctx, []string{c.bearer.current(), c.session.current()}), msg, fields)
}
