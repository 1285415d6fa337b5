// Package account is the offline stack's AWS account and region: the one place the local services,
// the engine and the template loader take them from, so that every local ARN agrees.
package account

const (
	// Region is the local region (AWS_REGION of the functions, the region of every local ARN).
	Region = "us-east-1"
	// ID is the local account ID (the account of every local ARN).
	ID = "123456789012"
)
