"""Reading and writing workbook files: YAML/JSON (canonical) and XLSX (for analysts)."""
