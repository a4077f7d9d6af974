"""Regenerate docs/workbook.schema.json from the models. Run: make schema"""

from __future__ import annotations

import json
from pathlib import Path

from natrisk.io.schema import workbook_schema

TARGET = Path(__file__).resolve().parent.parent / "docs" / "workbook.schema.json"

if __name__ == "__main__":
    TARGET.write_text(
        json.dumps(workbook_schema(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"wrote {TARGET}")
