package main

import (
	"fmt"
	"os"
	"strconv"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

const checkAbout = `Evaluate a policy file (YAML allow/deny rules) for one user of a directory, on the server
(EvaluatePolicy). Prints the decision and every criterion evaluated, with its line.
Exit code 0 when the policy allows the user; 1 when it does not (a deny rule matched, or no
allow rule did); 2 when the policy does not compile (the server names the line); 3 for an
unknown user.`

// cmdCheck prints EvaluatePolicy; a policy that does not allow the user is a negative answer.
func cmdCheck(e *env, args []string) error {
	fs := e.flags("check", "--policy FILE --directory D --user ID", checkAbout)
	file := fs.String("policy", "", "the policy file (YAML); /dev/stdin reads standard input")
	dir := fs.String("directory", "", "the directory of the user")
	user := fs.String("user", "", "the user's id")
	if _, err := e.parse(fs, args, 0, 0); err != nil {
		return err
	}
	for _, f := range [][2]string{{"policy", *file}, {"directory", *dir}, {"user", *user}} {
		if f[1] == "" {
			return &usageError{fmt.Sprintf("check: --%s is required (see 'dirsyncctl check -h')", f[0])}
		}
	}
	policy, err := os.ReadFile(*file)
	if err != nil {
		return &usageError{fmt.Sprintf("--policy: %v", err)}
	}
	if err := e.connect(); err != nil {
		return err
	}
	ctx, cancel := e.call()
	defer cancel()
	resp, err := e.queryClient().EvaluatePolicy(ctx, &dirsyncv1.EvaluatePolicyRequest{Directory: *dir, UserId: *user, Policy: string(policy)})
	if err != nil {
		return err
	}
	if e.json() {
		err = e.printJSON(resp)
	} else {
		err = e.decisionTable(resp, *dir, *user)
	}
	switch {
	case err != nil:
		return err
	case resp.Denied:
		return &negativeError{fmt.Sprintf("policy denies user %s: a deny rule matched", *user)}
	case !resp.Allowed:
		return &negativeError{fmt.Sprintf("policy does not allow user %s: no allow rule matched", *user)}
	}
	return nil
}

// decisionTable prints the decision and then the criteria, one per row.
func (e *env) decisionTable(resp *dirsyncv1.EvaluatePolicyResponse, dir, user string) error {
	t := e.table()
	decision := "deny"
	if resp.Allowed {
		decision = "allow"
	}
	t.row("decision", decision)
	t.row("directory", dir)
	t.row("user", user)
	t.row("record version", uintText(resp.RecordVersion))
	if err := t.flush(); err != nil || len(resp.Criteria) == 0 {
		return err
	}
	fmt.Fprintln(e.stdout)
	t = e.table("LINE", "ACTION", "CRITERION", "VALUE", "MATCHED")
	for _, c := range resp.Criteria {
		t.row(strconv.Itoa(int(c.Line)), c.Action, c.Criterion, c.Value, boolText(c.Matched))
	}
	return t.flush()
}
