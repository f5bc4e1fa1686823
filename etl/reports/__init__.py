"""Named reports: TOML definitions (pipelines/reports/) → a formatted workbook with charts,
or the rows written into a company's own workbook (`into`).

Their queries pass the same read-only check as `etl export --sql` and run on a read-only
engine, so a report can never change data.
"""

from etl.reports.definitions import (
    Chart, ChartKind, Report, ReportSheet, get_report, load_report_file, load_reports, report_dirs,
)
from etl.reports.workbook import write_report

__all__ = [
    "Chart", "ChartKind", "Report", "ReportSheet", "get_report", "load_report_file", "load_reports",
    "report_dirs", "write_report",
]
