"""The provider's example DAGs, shipped in the package so that an install has them without the repository.

Each file is a complete DAG file that Airflow parses from a DAGs folder; nothing imports them as modules (the
package's own code never does), and this file defines no DAG. To run them, point Airflow at this folder::

    export AIRFLOW__CORE__DAGS_FOLDER=$(python -c \
        "import airflow_provider_bigin.example_dags as e; print(e.__path__[0])")

or copy one file into your own DAGs folder and adapt it. They need the connection ``bigin_default``, and
``example_bigin_data_quality``, ``example_bigin_large_run`` and ``example_bigin_taskflow`` a warehouse
connection ``bigin_warehouse`` too (SQL through the ``examples`` extra); each file's docstring says which.
"""
