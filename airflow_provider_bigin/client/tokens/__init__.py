"""Access tokens: the Zoho refresh grant (grant.py), who may ask for one (source.py), where they are kept
(stores.py). Apart from the rest of the client because Zoho's token budget makes a grant precious."""
