package offline

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/stepgate/stepgate/internal/devtools/samtemplate"
)

// EmulatorEnv is the environment a function runs with under AWS's emulator (make invoke and the
// emulator tests): what the template gives it, Lambda's own variables the emulator reads, and the
// offline stack's endpoint. It also returns the function's timeout in seconds.
func EmulatorEnv(tmpl *samtemplate.Template, logicalID, awsURL string) ([]string, int, error) {
	fns, err := tmpl.Functions()
	if err != nil {
		return nil, 0, err
	}
	for _, f := range fns {
		if f.LogicalID != logicalID {
			continue
		}
		vars := map[string]string{
			"AWS_LAMBDA_FUNCTION_NAME":        f.LogicalID,
			"AWS_LAMBDA_FUNCTION_TIMEOUT":     strconv.Itoa(f.Timeout),
			"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(f.MemorySize),
			"AWS_REGION":                      Region,
			"AWS_DEFAULT_REGION":              Region,
		}
		for k, v := range f.Environment {
			vars[k] = v
		}
		for k, v := range LambdaEnv(awsURL) {
			vars[k] = v
		}
		env := make([]string, 0, len(vars))
		for k, v := range vars {
			env = append(env, k+"="+v)
		}
		sort.Strings(env)
		return env, f.Timeout, nil
	}
	return nil, 0, fmt.Errorf("the template has no function %q", logicalID)
}
