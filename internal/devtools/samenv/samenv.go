// Package samenv writes the --env-vars files that `sam local invoke` reads, and models how SAM CLI
// builds a function's environment from the template and such a file.
//
// SAM CLI resolves a Ref to a resource as its logical ID and a GetAtt …Arn as a made-up Lambda ARN,
// so a function whose environment names a state machine or an instance gets names that mean nothing
// to AWS. An --env-vars file fixes that, with two rules from SAM CLI's source
// (samcli/local/lambdafn/env_vars.py, samcli/commands/local/lib/local_lambda.py):
//   - only variables the template declares are passed: a file cannot add one;
//   - the file's "Parameters" object applies to every function, then the function's own object
//     (keyed by logical ID) wins.
//
// The files are generic: every declared variable of every function is resolved through
// samtemplate, with a Resolver backed either by the offline stack's local names or by a deployed
// stack's physical IDs (Stack). Nothing here knows the variables' names.
package samenv

import (
	"fmt"
	"slices"
	"strings"

	"github.com/stepgate/stepgate/internal/devtools/samtemplate"
)

// File is an --env-vars file: logical ID (or "Parameters", for every function) → variable → value.
type File map[string]map[string]string

// Generate resolves every declared environment variable of every function of tmpl (loaded with the
// Resolver of the target: local names or a deployed stack) and then applies set to the variables a
// function declares (AWS_ENDPOINT_URL, for one). A value that still holds a placeholder is an
// error naming the function and variable: the Resolver did not know a resource it names.
func Generate(tmpl *samtemplate.Template, set map[string]string) (File, error) {
	fns, err := tmpl.Functions()
	if err != nil {
		return nil, err
	}
	if len(fns) == 0 {
		return nil, fmt.Errorf("the template declares no functions")
	}
	out := File{}
	for _, f := range fns {
		vars := map[string]string{}
		for name, value := range f.Environment {
			if v, ok := set[name]; ok {
				value = v
			}
			if i := strings.Index(value, "${"); i >= 0 {
				return nil, fmt.Errorf("function %s: variable %s = %q: %s is not known to the target stack",
					f.LogicalID, name, value, value[i:min(len(value), i+strings.IndexByte(value[i:], '}')+1)])
			}
			vars[name] = value
		}
		out[f.LogicalID] = vars
	}
	return out, nil
}

// Creds are the credentials and region SAM CLI finds in the caller's AWS configuration; empty
// fields take SAM CLI's placeholders (us-east-1, defaultkey, defaultsecret).
type Creds struct {
	Region, Key, Secret, SessionToken string
}

// CLIEnvironment is the environment SAM CLI gives function logicalID of the template at path under
// `sam local invoke <logicalID> --env-vars <file>`, in SAM CLI's order: Lambda's and AWS's
// variables first; then each variable the template declares, with its value as SAM CLI resolves it
// (Globals applied, parameter defaults, a resource's Ref as its logical ID, GetAtt …Arn as a Lambda
// ARN in account 123456789012), replaced by the shell's value when shell has one and by the file's
// when the file has one. params are --parameter-overrides.
func CLIEnvironment(path, logicalID string, file File, shell map[string]string, creds Creds, params map[string]string) (map[string]string, error) {
	region := creds.Region
	if region == "" {
		region = "us-east-1"
	}
	var tmpl *samtemplate.Template
	resolve := func(id, attr string) (string, bool) {
		switch attr {
		case "":
			return id, true
		case "Arn":
			name := id
			if r, ok := tmpl.Resources[id]; ok && r.Properties["FunctionName"] != nil {
				name = fmt.Sprint(r.Properties["FunctionName"])
			}
			return fmt.Sprintf("arn:aws:lambda:%s:123456789012:function:%s", region, name), true
		}
		return "", false // SAM CLI leaves it unresolved
	}
	// The resolver reads FunctionName from a first load without it.
	opts := samtemplate.Options{Parameters: params, Region: region, AccountID: "123456789012", StackName: "local"}
	var err error
	if tmpl, err = samtemplate.Load(path, opts); err != nil {
		return nil, err
	}
	opts.Resolve = resolve
	if tmpl, err = samtemplate.Load(path, opts); err != nil {
		return nil, err
	}
	fns, err := tmpl.Functions()
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(fns, func(f samtemplate.Function) bool { return f.LogicalID == logicalID })
	if i < 0 {
		return nil, fmt.Errorf("the template has no function %s", logicalID)
	}
	f := fns[i]

	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	env := map[string]string{
		"AWS_SAM_LOCAL":                   "true",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": fmt.Sprint(f.MemorySize),
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     fmt.Sprint(f.Timeout),
		"AWS_LAMBDA_FUNCTION_HANDLER":     f.Handler,
		"AWS_LAMBDA_FUNCTION_NAME":        f.LogicalID,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "aws/lambda/" + f.LogicalID,
		"AWS_LAMBDA_LOG_STREAM_NAME":      "$LATEST",
		"AWS_REGION":                      region,
		"AWS_DEFAULT_REGION":              region,
		"AWS_ACCESS_KEY_ID":               or(creds.Key, "defaultkey"),
		"AWS_SECRET_ACCESS_KEY":           or(creds.Secret, "defaultsecret"),
		"AWS_ACCOUNT_ID":                  "123456789012",
	}
	if creds.SessionToken != "" {
		env["AWS_SESSION_TOKEN"] = creds.SessionToken
	}
	overrides := map[string]string{}
	for _, key := range []string{"Parameters", logicalID} {
		for k, v := range file[key] {
			overrides[k] = v
		}
	}
	for name, value := range f.Environment {
		if v, ok := shell[name]; ok {
			value = v
		}
		if v, ok := overrides[name]; ok {
			value = v
		}
		env[name] = value
	}
	return env, nil
}
