package natsgw

// CheckReply exposes checkReply to the external tests, which compare it with
// the gateway's own rules.
var CheckReply = checkReply
