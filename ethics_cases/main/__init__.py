"""Pages that belong to no single domain: home, error pages."""
