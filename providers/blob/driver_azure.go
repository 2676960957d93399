//go:build !dirsync_no_azure

package blob

import _ "gocloud.dev/blob/azureblob" // azblob://, credentials from the Azure default chain
