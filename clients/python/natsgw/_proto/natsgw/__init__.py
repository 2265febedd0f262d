"""Generated protobuf and gRPC code (private; regenerate with make generate-python)."""
