from natsgw import NATSClient  # the import the brief's patterns assume
# Publisher
with NATSClient() as client:
    client.publish('events.order.created', b'Order #12345 created')

    # Publish with headers
    client.publish(
        'events.order.created',
        b'Order data',
        headers={'priority': 'high', 'source': 'web-app'}
    )

# Subscriber (in separate process/thread)
def handle_order(msg):
    print(f"New order: {msg['data'].decode()}")
    print(f"Headers: {msg['headers']}")

with NATSClient() as client:
    client.subscribe('events.order.*', handle_order, timeout_seconds=3600)
