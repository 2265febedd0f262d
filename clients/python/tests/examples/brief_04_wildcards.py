from natsgw import NATSClient  # the import the brief's patterns assume
with NATSClient() as client:
    # Publish to hierarchical subjects
    client.publish('orders.created', b'New order')
    client.publish('orders.updated', b'Order updated')
    client.publish('orders.cancelled', b'Order cancelled')
    client.publish('orders.payment.completed', b'Payment done')

    # Subscribe with wildcards
    # '*' matches one level: orders.created, orders.updated
    client.subscribe('orders.*', callback, timeout_seconds=60)

    # '>' matches multiple levels: orders.payment.completed
    client.subscribe('orders.>', callback, timeout_seconds=60)
