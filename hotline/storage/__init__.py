"""hotline/storage."""
