"""The tag operators (``operators.tags``) and what they do once some records failed (``partial_failure``)."""
