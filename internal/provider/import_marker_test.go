package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// fakePrivate is private state as the framework keeps it: a key set to nothing is removed.
type fakePrivate map[string][]byte

func (p fakePrivate) GetKey(_ context.Context, key string) ([]byte, diag.Diagnostics) {
	return p[key], nil
}

func (p fakePrivate) SetKey(_ context.Context, key string, value []byte) diag.Diagnostics {
	if len(value) == 0 {
		delete(p, key)
	} else {
		p[key] = value
	}
	return nil
}

func TestImportGuessesLastUntilCleared(t *testing.T) {
	ctx := context.Background()
	private := fakePrivate{}
	guessed := func(attr string) bool {
		t.Helper()
		got, diags := importGuessed(ctx, private, attr)
		if diags.HasError() {
			t.Fatal(diags)
		}
		return got
	}
	if guessed("account_name") {
		t.Fatal("a resource that was never imported has guesses")
	}
	if diags := recordImportGuesses(ctx, private, []string{"account_name"}); diags.HasError() {
		t.Fatal(diags)
	}
	if !guessed("account_name") || guessed("smsr_oid") {
		t.Fatalf("after importing with a guessed account only: account %t, smsr %t", guessed("account_name"), guessed("smsr_oid"))
	}
	if diags := clearImportGuesses(ctx, private); diags.HasError() || guessed("account_name") || len(private) != 0 {
		t.Fatalf("guesses not cleared: %v %v", private, diags)
	}
	private[importGuessesKey] = []byte("not a list")
	if guessed("account_name") {
		t.Fatal("an unreadable marker counted as a guess: it must replace as usual")
	}
}
