package blob

// The URL schemes a blob directory can use are those of the gocloud.dev drivers linked in.
// file:// and mem:// are always there; each cloud has its own file, left out of a build by
// a tag (dirsync_no_s3, dirsync_no_gcs, dirsync_no_azure) for a smaller binary.
import (
	_ "gocloud.dev/blob/fileblob" // file://
	_ "gocloud.dev/blob/memblob"  // mem://
)
