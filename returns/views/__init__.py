"""Portal pages of returns, one module per desk."""
