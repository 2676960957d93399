//go:build !dirsync_no_gcs

package blob

import _ "gocloud.dev/blob/gcsblob" // gs://, credentials from the Google default chain
