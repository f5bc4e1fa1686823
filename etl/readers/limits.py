"""The sizes past which a reader refuses a file instead of reading it, so that the memory a
read takes is bounded whatever one field, line or stretch of XML holds.

Each is far above what real tables hold (Excel's own cell limit is 32,767 characters and
16,384 columns); a file beyond one is refused with a message naming the limit, never cut.
"""

from __future__ import annotations

MAX_FIELD_CHARS = 8 * 1024 * 1024
"""The longest value (CSV field, spreadsheet cell) read: 8 Mi characters."""

MAX_LINE_CHARS = 2 * MAX_FIELD_CHARS + (1 << 20)
"""The longest CSV line (a record may span lines inside quotes) or XML stretch of one sheet row."""

MAX_COLUMNS = 16_384
"""The widest row read: Excel's column limit (XFD)."""
