"""hotline/asterisk."""
