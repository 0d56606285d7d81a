// Package relay is thingspace-relay's server: a small, durable store-and-forward service for
// ThingSpace callbacks. Readers use internal/relayclient; both sides share internal/relaywire,
// so the provider links none of this package's stores or drivers.
//
// ThingSpace reports the outcome of every profile action only by POSTing a callback to a
// registered URL. Terraform cannot receive that call, so the relay receives it, authenticates it,
// stores it durably (the 200 is sent only after the commit), and serves it to readers by
// long-poll. Losing a callback would leave an apply hanging and a real device re-provisioned;
// leaking one would leak device credentials. Hence: credentials are stripped before anything is
// stored, duplicates are recognised by content, sequence numbers never let a resuming reader
// skip a callback, and wake-ups are only hints that never replace a re-query.
//
// Two stores implement Store: SQLite (one process, group-committed writes) and PostgreSQL
// (several replicas behind a load balancer, LISTEN/NOTIFY to wake readers on other replicas).
package relay
