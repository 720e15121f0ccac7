"""Every component id in one place, so pages, callbacks and tests agree."""
# Shell
URL = "url"
PAGE = "page"
NAV = "nav"

# Overview
OV_SCHEME = "ov-scheme"
OV_REGION = "ov-region"
OV_QUARTER = "ov-quarter"
OV_TITLE = "ov-title"
OV_TIMELINE = "ov-timeline"
OV_COUNTS = "ov-counts"
OV_BOARD = "ov-board"
OV_HEATMAP = "ov-heatmap"
OV_EXPORT_DOCX = "ov-export-docx"
OV_EXPORT_XLSX = "ov-export-xlsx"
OV_DOWNLOAD = "ov-download"
OV_EXPORT_MSG = "ov-export-msg"

# Indicator detail
DT_QUARTER = "dt-quarter"
DT_TITLE = "dt-title"
DT_CHART = "dt-chart"
DT_STATUS = "dt-status"
DT_VALUES = "dt-values"
DT_CITATION = "dt-citation"
DT_HISTORY = "dt-history"

# Unit view
UN_SCHEME = "un-scheme"
UN_REGION = "un-region"
UN_QUARTER = "un-quarter"
UN_TITLE = "un-title"
UN_BODY = "un-body"

# Stage view
ST_SCHEME = "st-scheme"
ST_REGION = "st-region"
ST_QUARTER = "st-quarter"
ST_TITLE = "st-title"
ST_BODY = "st-body"

# Registry
RG_SEARCH = "rg-search"
RG_SCHEME = "rg-scheme"
RG_DIMENSION = "rg-dimension"
RG_UNIT = "rg-unit"
RG_KIND = "rg-kind"
RG_TABLE = "rg-table"
RG_COUNT = "rg-count"
