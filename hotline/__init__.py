"""hotline."""
