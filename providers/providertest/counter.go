package providertest

import (
	"maps"
	"sync"
)

// Counter counts the requests a fake serves by endpoint, under labels the fake chooses
// ("token", "users", "group members", …). It is safe for concurrent use; the zero value
// is ready.
type Counter struct {
	mu sync.Mutex
	n  map[string]int
}

// Add counts one request to endpoint and returns its number there (1 for the first since
// the last Reset), which fakes use to fail the nth request.
func (c *Counter) Add(endpoint string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[endpoint]++
	return c.n[endpoint]
}

// Count is the number of requests counted at endpoint.
func (c *Counter) Count(endpoint string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[endpoint]
}

// Total is the number of requests counted at every endpoint.
func (c *Counter) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	total := 0
	for _, n := range c.n {
		total += n
	}
	return total
}

// Counts returns the counts by endpoint; endpoints without requests are absent.
func (c *Counter) Counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := maps.Clone(c.n)
	if out == nil {
		out = map[string]int{}
	}
	return out
}

// Reset forgets the counts and returns them.
func (c *Counter) Reset() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.n
	c.n = nil
	if out == nil {
		out = map[string]int{}
	}
	return out
}
