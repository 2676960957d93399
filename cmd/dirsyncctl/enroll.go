package main

import (
	"fmt"

	"google.golang.org/protobuf/types/known/durationpb"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// cmdEnroll runs CreateEnrollmentLink and prints the link (with -o json, the response).
func cmdEnroll(e *env, args []string) error {
	fs := e.flags("enroll", "USER --directory D [--type T] [--ttl 72h] [--redirect URL]",
		"Create a device-enrollment link for a user and print it; the expiry goes to stderr.\n"+
			"Exit code 3 for an unknown user, 5 for a suspended one or when enrollment is not configured.")
	dir := fs.String("directory", "", "the user's directory (required)")
	typ := fs.String("type", "", `device type: "any" (the server's default), "enclave_only" or a configured custom type`)
	ttl := fs.Duration("ttl", 0, "how long the link stays redeemable (server default 168h, at most 720h)")
	redirect := fs.String("redirect", "", "where the enrollment page sends the user afterwards")
	pos, err := e.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *dir == "" {
		fmt.Fprintln(e.stderr, "enroll: --directory is required")
		return &usageError{}
	}
	req := &dirsyncv1.CreateEnrollmentLinkRequest{Directory: *dir, UserId: pos[0], DeviceType: *typ, RedirectUrl: *redirect}
	if *ttl != 0 {
		req.Ttl = durationpb.New(*ttl)
	}
	if err := e.connect(); err != nil {
		return err
	}
	ctx, cancel := e.call()
	defer cancel()
	resp, err := e.enrollmentClient().CreateEnrollmentLink(ctx, req)
	switch {
	case err != nil:
		return err
	case e.json():
		return e.printJSON(resp)
	}
	fmt.Fprintf(e.stderr, "enrollment %s for %s expires %s\n", resp.Enrollment.GetId(), pos[0], timeText(resp.Enrollment.GetExpiresAt()))
	_, err = fmt.Fprintln(e.stdout, resp.Link)
	return err
}
