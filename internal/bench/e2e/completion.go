package main

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"time"
)

// Completion is measured without the provider's help, from what the relay and Terraform show
// anyway: when the relay stored a request's final callback (its receivedAt), when the relay's
// answer carrying that callback left for the reader (relaytap.go), and when Terraform printed
// that it had created the resource, which it does once the resource is recorded.

// createdLine matches what Terraform prints, with -no-color, when it has recorded a resource.
var createdLine = regexp.MustCompile(`^\S+\.` + resourceAddress + `\["(\d+)"\]: Creation complete after \S+ \[id=([^\]]+)\]$`)

// creation is one resource's "Creation complete" line.
type creation struct {
	id string // the resource's id: for the provider, the request's requestId
	at time.Time
}

// creations reads the "Creation complete" line of every device's resource, by EID. Every
// configured device, and no other, must have one, so a misread output fails the benchmark
// instead of skewing it.
func creations(r *run, devices []device) (map[string]creation, error) {
	out := map[string]creation{}
	for _, line := range r.lines {
		if m := createdLine.FindStringSubmatch(line.text); m != nil {
			out[m[1]] = creation{id: m[2], at: line.at}
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

// scriptDone matches the last line enable.sh prints, as Terraform shows local-exec output.
var scriptDone = regexp.MustCompile(`enabled EID (\d+) request_id=(\S+)`)

// scriptRequests reads the requestId each script was answered, by EID, from the apply output.
func scriptRequests(stdout string, devices []device) (map[string]string, error) {
	out := map[string]string{}
	for _, m := range scriptDone.FindAllStringSubmatch(stdout, -1) {
		out[m[1]] = m[2]
	}
	for _, d := range devices {
		if out[d.EID] == "" {
			return nil, fmt.Errorf("the apply output has no line of enable.sh finishing EID %s", d.EID)
		}
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
func (s *stack) measureCompletions(ctx context.Context, r *run, created map[string]creation, requestByEID map[string]string,
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
	for eid, cr := range created {
		id := requestByEID[eid]
		final, ok := finals[id]
		if !ok {
			return c, fmt.Errorf("the relay holds no final callback for request %s (EID %s)", id, eid)
		}
		c.overhead = append(c.overhead, cr.at.Sub(final.storedAt))
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
