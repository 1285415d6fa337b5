// Package conformance holds the differential tests of the internal/offline/asl engine
// against aws-local-stepfunctions, an independent Amazon States Language
// interpreter driven by tools/node/local-sfn-batch.mjs.
//
// testdata/corpus holds the cases (a definition, an input and the mock
// behaviour of each Task resource); divergences.json lists the cases where
// that interpreter departs from AWS, with the AWS documentation that decides
// them. The package has no API: everything lives in its tests.
package conformance
