"""Policy knowledge base: search over labour and social-security provisions (pure core).

kb.corpus reads provisions; kb.index builds, saves, loads and searches the index; kb.query turns a
caller's question into weighted terms and a category (`classify`); kb.ranking holds every ranking
weight; kb.evaluate scores search quality; kb/data/colloquial.yaml is the colloquial vocabulary.
"""
