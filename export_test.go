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

// ConsumeQueued is how many delivered messages wait in cc for a handler.
func ConsumeQueued(cc *ConsumeContext) int { return len(cc.work) }
