package thingspace

import (
	"context"
	"time"
)

// Seams for the tests of package thingspace_test, which run against the simulator (it imports
// this package, so those tests cannot live inside it).

// SetSleep replaces the wait between attempts, so tests observe waits instead of sleeping.
func SetSleep(c *Client, sleep func(ctx context.Context, d time.Duration) error) { c.sleep = sleep }

// SetJitter replaces the random part of the backoff.
func SetJitter(c *Client, jitter func(ceiling time.Duration) time.Duration) { c.jitter = jitter }

// SetNow replaces the clock that token lifetimes and Retry-After dates are read against.
func SetNow(c *Client, now func() time.Time) { c.now = now }
