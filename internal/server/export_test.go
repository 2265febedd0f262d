package server

// CloseOpsListener closes the ops HTTP server's listener underneath it, as a
// failing network would.
func CloseOpsListener(s *Server) error { return s.opsLis.Close() }
