"""Bigin modules as datasets: the ``bigin://`` asset URI, Airflow assets and OpenLineage datasets.

``uris`` is plain Python (the scheme, its normaliser, the builder); ``assets`` makes Airflow Assets of it;
``openlineage`` is imported only by the OpenLineage provider's code paths, which bring its client.
"""
