"""Data files of transfers/ (the district directory), a package so that wheels carry them."""
