"""What the tag operators report to OpenLineage: an output dataset per run, with the run's figures.

The dataset is the module: namespace ``bigin://{api host}``, name the module API name, as the ``bigin://``
asset converts. Airflow imports this module whenever it loads asset URI resources, with or without
OpenLineage installed, so OpenLineage is imported only inside the functions, which only its provider calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_bigin.lineage.uris import ModuleRef, parse_uri

if TYPE_CHECKING:
    from airflow.providers.common.compat.openlineage.facet import Dataset
    from airflow.providers.openlineage.extractors import OperatorLineage
    from airflow.sdk import Asset

#: The key of the figures' facet on the output dataset.
FACET_NAME = "biginTagChanges"


def convert_asset(asset: Asset, lineage_context: Any) -> Dataset:
    """The OpenLineage dataset of a ``bigin://`` asset (``asset-uris`` ``to_openlineage_converter``)."""
    from airflow.providers.common.compat.openlineage.facet import Dataset  # noqa: PLC0415

    ref = parse_uri(asset.uri)
    return Dataset(namespace=ref.namespace, name=ref.module)


def tag_lineage(ref: ModuleRef, figures: Mapping[str, Any] | None) -> OperatorLineage[Any, Any]:
    """The module as the run's output dataset; with the figures, once the run has them.

    ``outputStatistics.rowCount`` is the records changed (succeeded); ``biginTagChanges`` holds what the
    asset event's extra holds.
    """
    from airflow.providers.common.compat.openlineage.facet import (  # noqa: PLC0415
        OutputDataset,
        OutputStatisticsOutputDatasetFacet,
    )
    from airflow.providers.openlineage.extractors import OperatorLineage  # noqa: PLC0415

    from airflow_provider_bigin.lineage.openlineage_facets import BiginTagChangesDatasetFacet  # noqa: PLC0415

    facets: dict[str, Any] = {}
    output_facets: dict[str, Any] = {}
    if figures is not None:
        facets[FACET_NAME] = BiginTagChangesDatasetFacet(
            action=str(figures["action"]),
            module=str(figures["module"]),
            tags=[str(tag) for tag in figures["tags"]],
            requested=int(figures["requested"]),
            succeeded=int(figures["succeeded"]),
            failed=int(figures["failed"]),
            dry_run=bool(figures["dry_run"]),
        )
        output_facets["outputStatistics"] = OutputStatisticsOutputDatasetFacet(
            rowCount=int(figures["succeeded"])
        )
    dataset = OutputDataset(
        namespace=ref.namespace, name=ref.module, facets=facets, outputFacets=output_facets
    )
    return OperatorLineage(outputs=[dataset])
