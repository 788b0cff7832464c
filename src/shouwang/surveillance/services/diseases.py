"""The notifiable-disease list: data in surveillance/data/diseases.csv, synced into the table."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "diseases.csv"
_FIELDS = ("name", "name_en", "disease_class", "managed_as_class_a", "report_deadline_hours",
           "exposure_window_days", "dedup_window_days", "sort_order")


@dataclass(frozen=True)
class SyncResult:
    created: int
    updated: int
    deactivated: int


def read_disease_file(path: Path = DATA_FILE) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        for raw in csv.DictReader(fh):
            rows.append({
                "code": raw["code"].strip(),
                "name": raw["name"].strip(),
                "name_en": raw["name_en"].strip(),
                "disease_class": raw["disease_class"].strip(),
                "managed_as_class_a": raw["managed_as_class_a"].strip().lower() == "true",
                "report_deadline_hours": int(raw["report_deadline_hours"]),
                "exposure_window_days": int(raw["exposure_window_days"]),
                "dedup_window_days": int(raw["dedup_window_days"]),
                "sort_order": int(raw["sort_order"]),
            })
    return rows


def diseases_sync(disease_model: Any = None, path: Path = DATA_FILE) -> SyncResult:
    """Make the table match the file: create and update, and deactivate (never delete) what the
    file no longer lists. Idempotent. `disease_model` lets the data migration pass its
    historical model."""
    if disease_model is None:
        from shouwang.surveillance.models import Disease as disease_model
    rows = read_disease_file(path)
    created = updated = 0
    with transaction.atomic():
        existing = {d.code: d for d in disease_model.objects.all()}
        for row in rows:
            current = existing.get(row["code"])
            if current is None:
                disease_model.objects.create(active=True, **row)
                created += 1
                continue
            changed = [f for f in _FIELDS if getattr(current, f) != row[f]]
            if changed or not current.active:
                for f in changed:
                    setattr(current, f, row[f])
                current.active = True
                current.save(update_fields=[*changed, "active"])
                updated += 1
        listed = {r["code"] for r in rows}
        deactivated = disease_model.objects.exclude(code__in=listed).filter(active=True).update(
            active=False
        )
    return SyncResult(created, updated, deactivated)
