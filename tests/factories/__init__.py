"""factory-boy factories, one module per domain."""
