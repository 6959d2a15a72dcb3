"""kefu: a customer-service desk for online shops, with a built-in coach."""

__version__ = "0.1.0"
