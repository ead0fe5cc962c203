"""The facet of a tag run's figures. It needs the OpenLineage client: only lineage code loads this."""

from __future__ import annotations

from attrs import define, field
from openlineage.client.generated.base import DatasetFacet

#: Where the facet's JSON schema lives (shipped beside this module).
SCHEMA_URL = (
    "https://github.com/airflow-provider-bigin/airflow-provider-bigin/blob/main/"
    "airflow_provider_bigin/lineage/BiginTagChangesDatasetFacet.json#/$defs/BiginTagChangesDatasetFacet"
)


@define
class BiginTagChangesDatasetFacet(DatasetFacet):
    """What one tag run did to its module: the same figures as the asset event's extra."""

    action: str
    module: str
    tags: list[str] = field(factory=list)
    requested: int = 0
    succeeded: int = 0
    failed: int = 0
    dry_run: bool = False

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_URL
