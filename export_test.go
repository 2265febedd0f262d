package natsgw

// CheckReply exposes checkReply to the external tests, which compare it with
// the gateway's own rules.
var CheckReply = checkReply

// UseUnaryKV makes c send single-key operations as unary RPCs, as it does
// against a gateway without KeyValueService/Session.
func UseUnaryKV(c *Client) {
	c.kv.mu.Lock()
	c.kv.unary = true
	c.kv.mu.Unlock()
}

// SeenRevision is the highest revision of bucket c has seen, which its
// reads send as min_revision.
func SeenRevision(c *Client, bucket string) uint64 { return c.kv.minRevision(bucket) }

// ConsumeQueued is how many delivered messages wait in cc for a handler.
func ConsumeQueued(cc *ConsumeContext) int { return len(cc.work) }
