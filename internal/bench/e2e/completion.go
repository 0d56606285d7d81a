package main

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
)

// Completion is measured without the provider's help, from what the relay and Terraform show
// anyway: when the relay stored a request's final callback (its receivedAt), when the relay's
// answer carrying that callback left for the reader (relaytap.go), and when Terraform printed
// that it had created the resource, which it does once the resource is recorded.

// createdLine matches what Terraform prints, with -no-color, when it has recorded a resource.
var createdLine = regexp.MustCompile(`^\S+\.` + resourceAddress + `\["(\d+)"\]: Creation complete after \S+ \[id=[^\]]+\]$`)

// requestsByEID is the requestId the simulator issued for each device's enable request: the
// script's output cannot be relied on for it, as Terraform may drop the last lines a
// local-exec command prints when it exits.
func (s *stack) requestsByEID(devices []device) (map[string]string, error) {
	out := map[string]string{}
	for _, r := range s.sim.Requests() {
		if r.Endpoint == simulator.EndpointProfileAction && r.RequestID != "" {
			for _, eid := range r.EIDs {
				out[eid] = r.RequestID
			}
		}
	}
	for _, d := range devices {
		if out[d.EID] == "" {
			return nil, fmt.Errorf("the simulator issued no requestId for EID %s", d.EID)
		}
	}
	return out, nil
}

// creations reads when Terraform printed the "Creation complete" line of every device's
// resource, by EID. Every
// configured device, and no other, must have one, so a misread output fails the benchmark
// instead of skewing it.
func creations(r *run, devices []device) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for _, line := range r.lines {
		if m := createdLine.FindStringSubmatch(line.text); m != nil {
			out[m[1]] = line.at
		}
	}
	for _, d := range devices {
		if _, ok := out[d.EID]; !ok {
			return nil, fmt.Errorf("the apply output has no %q line for EID %s", "Creation complete", d.EID)
		}
	}
	if len(out) != len(devices) {
		return nil, fmt.Errorf("the apply created %d resources for %d devices", len(out), len(devices))
	}
	return out, nil
}

// completions is how long resources took to finish once their device's answer was stored.
type completions struct {
	// overhead is, per resource, from the relay storing the final callback to Terraform
	// printing "Creation complete".
	overhead []time.Duration
	// wake is, per resource, from the relay storing the final callback to the relay's answer
	// carrying it leaving for the reader (the provider's long-poll); nil for the script, which
	// polls on its own schedule.
	wake []time.Duration
	// tail is from the relay storing the last final callback of the apply to Terraform exiting.
	tail time.Duration
}

// measureCompletions pairs each device's creation with its request's final callback on the
// relay, and, when withWake, with the relay's first answer that carried it. Call it after the
// counts are taken: it reads the relay.
func (s *stack) measureCompletions(ctx context.Context, r *run, created map[string]time.Time, requestByEID map[string]string,
	withWake bool) (completions, error) {
	var c completions
	ids := make([]string, 0, len(requestByEID))
	for _, id := range requestByEID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	finals, err := s.finalCallbacks(ctx, ids)
	if err != nil {
		return c, err
	}
	var answered map[answerKey]time.Time
	if withWake {
		if answered, err = s.firstAnswers(r.ended); err != nil {
			return c, err
		}
	}
	var lastStored time.Time
	for eid, createdAt := range created {
		id := requestByEID[eid]
		final, ok := finals[id]
		if !ok {
			return c, fmt.Errorf("the relay holds no final callback for request %s (EID %s)", id, eid)
		}
		c.overhead = append(c.overhead, createdAt.Sub(final.storedAt))
		if final.storedAt.After(lastStored) {
			lastStored = final.storedAt
		}
		if !withWake {
			continue
		}
		sent, ok := answered[answerKey{id, final.seq}]
		if !ok {
			return c, fmt.Errorf("the relay never answered a read of request %s with its final callback (seq %d)", id, final.seq)
		}
		c.wake = append(c.wake, sent.Sub(final.storedAt))
	}
	c.tail = r.ended.Sub(lastStored)
	return c, nil
}

// answerKey names one stored callback.
type answerKey struct {
	requestID string
	seq       int64
}

// firstAnswers is, for every callback the relay served before until, when its first answer
// carrying it was sent.
func (s *stack) firstAnswers(until time.Time) (map[answerKey]time.Time, error) {
	answers, err := s.relayTap.readAnswers(until)
	if err != nil {
		return nil, err
	}
	out := map[answerKey]time.Time{}
	for _, a := range answers {
		for _, seq := range a.seqs {
			k := answerKey{a.requestID, seq}
			if at, seen := out[k]; !seen || a.sentAt.Before(at) {
				out[k] = a.sentAt
			}
		}
	}
	return out, nil
}
