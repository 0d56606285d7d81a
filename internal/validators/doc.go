// Package validators holds the plan-time checks the provider's schemas share. They live outside
// internal/provider so each rule is written once, tested without Terraform, and reads the same
// wherever it is attached.
package validators
