from natsgw import NATSClient  # the import the brief's patterns assume
with NATSClient() as client:
    # Basic health check
    health = client.health_check()
    print(f"Healthy: {health['healthy']}")
    print(f"JetStream enabled: {health['jetstream_enabled']}")
    print(f"Connections: {health['connections']}")

    # Deep health check
    health = client.health_check(deep_check=True)
