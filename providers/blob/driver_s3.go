//go:build !dirsync_no_s3

package blob

import _ "gocloud.dev/blob/s3blob" // s3://, credentials from the AWS default chain
