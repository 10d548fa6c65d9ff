"""One router per resource: health, analytics, products, customers, orders, data."""
