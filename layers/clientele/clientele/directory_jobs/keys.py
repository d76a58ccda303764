"""Key layouts of the directory's jobs (docs/data-model.md, "Directory jobs"). Keys hold ids only."""

from __future__ import annotations


def merge_plan_sk() -> str:
    """In the source's partition (the customers context's ``MERGED_SK``): the merge's plan and outcome."""
    from clientele.customers.keys import MERGED_SK

    return MERGED_SK


def merge_outcome_sk(source_id: str) -> str:
    """In the survivor's partition: what a merge kept and dropped (personal values: erased with them)."""
    return f"MERGED#{source_id}"


def exports_pk(merchant_id: str) -> str:
    return f"MERCHANT#{merchant_id}#EXPORTS"


def export_sk(export_id: str) -> str:
    return f"EXPORT#{export_id}"  # export ids sort by time


def export_ids_sk(export_id: str, chunk: int) -> str:
    """The ids of the customers an export holds, in chunks (erasure counts live exports holding someone)."""
    return f"EXPORT#{export_id}#IDS#{chunk:04d}"


def export_object_key(merchant_id: str, export_id: str, extension: str) -> str:
    return f"exports/{merchant_id}/{export_id}.{extension}"


def imports_pk(merchant_id: str) -> str:
    return f"MERCHANT#{merchant_id}#IMPORTS"


def import_sk(import_id: str) -> str:
    return f"IMPORT#{import_id}"


def import_object_key(merchant_id: str, import_id: str) -> str:
    return f"imports/{merchant_id}/{import_id}.csv"


def attribute_removals_pk(merchant_id: str) -> str:
    return f"MERCHANT#{merchant_id}#ATTRIBUTE_REMOVALS"


def attribute_removal_sk(removal_id: str) -> str:
    return f"REMOVAL#{removal_id}"  # removal ids sort by time
