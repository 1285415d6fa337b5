package samtemplate

import (
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestEveryRouteInvokable: each route's function has a Lambda permission whose SourceArn covers
// that method and path. API Gateway matches SourceArn as ArnLike, where * spans slashes too; a
// route without one answers 500 on AWS, and the offline stack would not notice.
func TestEveryRouteInvokable(t *testing.T) {
	for _, path := range repoTemplates(t) {
		t.Run(path, func(t *testing.T) { everyRouteInvokable(t, loadStackAt(t, filepath.Join(repoRoot, path), nil)) })
	}
}

func everyRouteInvokable(t *testing.T, tmpl *Template) {
	const prefix = "arn:aws:execute-api:us-east-1:123456789012:${StepgateApi}/*/"
	perFunction := map[string][]*regexp.Regexp{}
	for id, r := range tmpl.Resources {
		if r.Type != "AWS::Lambda::Permission" {
			continue
		}
		src := str(r.Properties["SourceArn"])
		if !strings.HasPrefix(src, prefix) {
			t.Errorf("%s: SourceArn %q", id, src)
			continue
		}
		glob := regexp.QuoteMeta(strings.TrimPrefix(src, prefix))
		re := regexp.MustCompile("^" + strings.ReplaceAll(glob, `\*`, ".*") + "$")
		fn := strings.TrimPrefix(str(r.Properties["FunctionName"]), "arn:aws:lambda:us-east-1:123456789012:function:")
		perFunction[fn] = append(perFunction[fn], re)
	}
	routes, err := tmpl.Routes()
	if err != nil {
		t.Fatal(err)
	}
	// The start routes are ROUTES', served through the greedy operation: each must be covered too,
	// and the greedy operation for any method.
	for _, key := range startRoutes(t, tmpl).Keys() {
		method, path, _ := strings.Cut(key, " ")
		routes = append(routes, Route{Method: method, Path: path, FunctionLogicalID: "StartFunction"})
	}
	for _, r := range slices.Clone(routes) {
		if r.Method == "ANY" {
			for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
				routes = append(routes, Route{Method: m, Path: strings.Replace(r.Path, "{proxy+}", "a/b", 1), FunctionLogicalID: r.FunctionLogicalID})
			}
		}
	}
	param := regexp.MustCompile(`\{[^}]+\}`)
	for _, r := range routes {
		// What API Gateway puts in the ARN for a request: the method and the path as called.
		called := r.Method + "/" + strings.TrimPrefix(param.ReplaceAllString(path.Clean(r.Path), "arn%3Aaws%3Astates"), "/")
		covered := false
		for _, re := range perFunction[r.FunctionLogicalID] {
			covered = covered || re.MatchString(called)
		}
		if !covered {
			t.Errorf("%s %s: no permission of %s covers %s", r.Method, r.Path, r.FunctionLogicalID, called)
		}
	}
}
