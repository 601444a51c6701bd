"""Portal pages of orders, one module per desk."""
