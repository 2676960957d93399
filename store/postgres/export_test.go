package postgres

// WithoutListen turns the listener off, so that only the poll wakes Changed for other
// Stores' commits.
func WithoutListen() Option {
	return func(o *options) { o.listen = false }
}
