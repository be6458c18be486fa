"""Reads an XLSX file with Debian's python3-openpyxl and prints, as JSON, what a spreadsheet application would
show and print of each sheet: its cells (typed), column widths, wrapping, and page setup.

An independent reader for the tests of contacts.xlsx (src/pipeline/exporters/xlsx.ts).
"""

import datetime
import json
import sys

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter


def cell_value(cell):
    value = cell.value
    if isinstance(value, datetime.datetime):
        return {"date": value.isoformat()}
    return value


def read(sheet):
    rows = [[cell_value(cell) for cell in row] for row in sheet.iter_rows()]
    widths = [sheet.column_dimensions[get_column_letter(i + 1)].width for i in range(sheet.max_column)]
    second = list(sheet.iter_rows(min_row=2, max_row=2))
    return {
        "name": sheet.title,
        "rows": rows,
        "widths": widths,
        "wrap": [bool(cell.alignment.wrap_text) for cell in second[0]] if second else [],
        "formats": [cell.number_format for cell in second[0]] if second else [],
        "orientation": sheet.page_setup.orientation,
        "paperSize": sheet.page_setup.paperSize,
        "fitToPage": sheet.sheet_properties.pageSetUpPr.fitToPage if sheet.sheet_properties.pageSetUpPr else None,
        "fitToWidth": sheet.page_setup.fitToWidth,
        "fitToHeight": sheet.page_setup.fitToHeight,
        "printTitleRows": sheet.print_title_rows,
        "footer": {
            "left": sheet.oddFooter.left.text,
            "right": sheet.oddFooter.right.text,
        },
        "freeze": sheet.freeze_panes,
        "autoFilter": sheet.auto_filter.ref,
    }


workbook = load_workbook(sys.argv[1])
json.dump([read(sheet) for sheet in workbook.worksheets], sys.stdout, ensure_ascii=False, default=str)
