package provider

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
)

// An import rebuilds a resource from the callbacks on the relay, which do not say which account
// the request was sent for, and say which SM-SR only in a success callback. ImportState fills
// those in from the provider's defaults, a guess. When the configuration then names another
// value, the configuration is right and the guess was wrong: replacing the resource would send
// the profile action a second time for nothing. So ImportState records in private state which
// values it guessed, the plan accepts the configured value in place for them, and the first
// update after the import (the one that records the configured value) clears the record, so
// later changes replace the resource as usual.

// importGuessesKey is the private-state key listing the attributes ImportState guessed.
const importGuessesKey = "import_guesses"

// privateState is the part of the framework's private state the marker needs; the framework
// hands it to ImportState, plan modifiers and Update.
type privateState interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

// recordImportGuesses notes that ImportState took the named attributes from the provider.
func recordImportGuesses(ctx context.Context, private privateState, attrs []string) diag.Diagnostics {
	if len(attrs) == 0 {
		return nil
	}
	value, err := json.Marshal(attrs)
	if err != nil { // a list of strings always marshals
		var diags diag.Diagnostics
		diags.AddError("Cannot record the import", err.Error())
		return diags
	}
	return private.SetKey(ctx, importGuessesKey, value)
}

// clearImportGuesses forgets the guesses once the configured values are in state.
func clearImportGuesses(ctx context.Context, private privateState) diag.Diagnostics {
	return private.SetKey(ctx, importGuessesKey, nil)
}

// importGuessed reports whether ImportState guessed attr and nothing has been applied since.
func importGuessed(ctx context.Context, private privateState, attr string) (bool, diag.Diagnostics) {
	value, diags := private.GetKey(ctx, importGuessesKey)
	if diags.HasError() || len(value) == 0 {
		return false, diags
	}
	var attrs []string
	if err := json.Unmarshal(value, &attrs); err != nil {
		return false, diags // not ours to interpret: replace as usual
	}
	return slices.Contains(attrs, attr), diags
}

// replaceUnlessImportGuessedDescription describes the plan modifiers below.
const replaceUnlessImportGuessedDescription = "Replaces the resource when the value changes, except right after an " +
	"import that could not know it: the configured value is then recorded in place."

// replaceUnlessImportGuessed is the rule both modifiers below apply: a change replaces the
// resource unless ImportState guessed attr. The framework hands no private state while a
// resource is planned for creation, when nothing is replaced anyway.
func replaceUnlessImportGuessed(ctx context.Context, private privateState, hasPrivate bool, attr string) (bool, diag.Diagnostics) {
	if !hasPrivate {
		return true, nil
	}
	guessed, diags := importGuessed(ctx, private, attr)
	return !guessed, diags
}

// requiresReplaceUnlessImportGuessed is RequiresReplace, except for a value ImportState guessed:
// the configured value then corrects the guess in place, and nothing is sent.
func requiresReplaceUnlessImportGuessed(attr string) planmodifier.String {
	return stringplanmodifier.RequiresReplaceIf(func(ctx context.Context, req planmodifier.StringRequest,
		resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
		var diags diag.Diagnostics
		resp.RequiresReplace, diags = replaceUnlessImportGuessed(ctx, req.Private, req.Private != nil, attr)
		resp.Diagnostics.Append(diags...)
	}, replaceUnlessImportGuessedDescription, replaceUnlessImportGuessedDescription)
}

// boolRequiresReplaceUnlessImportGuessed is requiresReplaceUnlessImportGuessed for a bool.
func boolRequiresReplaceUnlessImportGuessed(attr string) planmodifier.Bool {
	return boolplanmodifier.RequiresReplaceIf(func(ctx context.Context, req planmodifier.BoolRequest,
		resp *boolplanmodifier.RequiresReplaceIfFuncResponse) {
		var diags diag.Diagnostics
		resp.RequiresReplace, diags = replaceUnlessImportGuessed(ctx, req.Private, req.Private != nil, attr)
		resp.Diagnostics.Append(diags...)
	}, replaceUnlessImportGuessedDescription, replaceUnlessImportGuessedDescription)
}
