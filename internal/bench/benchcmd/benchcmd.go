// Package benchcmd is the main function the benchmark programs that drive Terraform share: a
// Ctrl-C or SIGTERM ends the run's context, so Terraform stops gracefully and the program still
// cleans up, instead of the signal killing it mid-run.
package benchcmd

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Main parses the flags and runs the program, prefixing errors with name. It exits 2 when the
// flags are wrong and 1 when the run fails.
func Main[O any](name string, parseFlags func() (O, error), run func(context.Context, O) error) {
	o, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}
