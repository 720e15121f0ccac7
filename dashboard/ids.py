"""Every component id in one place, so pages, callbacks and tests agree."""
# Shell
URL = "url"
# The query the page shows (pages write it; the shell copies it into the address).
ADDRESS = "page-address"
# What the router renders: {pathname, search} when the address names another view.
ROUTE = "page-route"
PAGE = "page"
NAV = "nav"

# Overview
OV_SCHEME = "ov-scheme"
OV_REGION = "ov-region"
OV_QUARTER = "ov-quarter"
OV_TITLE = "ov-title"
OV_TITLE_BLOCK = "ov-title-block"   # the heading and the line under it, as HTML (data-html)
OV_TIMELINE = "ov-timeline"
OV_TIMELINE_BOX = "ov-timeline-box"   # holds the timeline's dcc.Graph once its figure arrives
OV_COUNTS = "ov-counts"
OV_BOARD = "ov-board"
OV_HEATMAP = "ov-heatmap"
OV_HEATMAP_BOX = "ov-heatmap-box"
OV_EXPORT_DOCX = "ov-export-docx"
OV_EXPORT_XLSX = "ov-export-xlsx"
OV_DOWNLOAD = "ov-download"
OV_EXPORT_MSG = "ov-export-msg"
OV_SCREEN_LINK = "ov-screen-link"
OV_EXPORT_PDF = "ov-export-pdf"
OV_EXPORT_RUNNING = "ov-export-running"

# Indicator detail
DT_QUARTER = "dt-quarter"
DT_TITLE = "dt-title"
DT_CHART = "dt-chart"
DT_STATUS = "dt-status"
DT_VALUES = "dt-values"
DT_CITATION = "dt-citation"
DT_HISTORY = "dt-history"
DT_EXPORT_PDF = "dt-export-pdf"
DT_EXPORT_MSG = "dt-export-msg"
DT_EXPORT_RUNNING = "dt-export-running"
DT_DOWNLOAD = "dt-download"

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
RG_EXPORT = "rg-export"
RG_DOWNLOAD = "rg-download"
RG_EXPORT_NOTE = "rg-export-note"

# Data entry (数据填报)
EN_SCHEME = "en-scheme"
EN_REGION = "en-region"
EN_QUARTER = "en-quarter"
EN_UNIT = "en-unit"
EN_TITLE = "en-title"
EN_STATUS = "en-status"
EN_FORM = "en-form"
EN_CTX = "en-ctx"              # dcc.Store: the form's scheme/region/quarter/unit
EN_REFRESH = "en-refresh"      # dcc.Store: bumped to re-render the form (after submit or import)
EN_RESULT = "en-result"        # dcc.Store: per-row outcome of the last save
EN_SAVE = "en-save"
EN_SUBMIT = "en-submit"
EN_REASON = "en-reason"
EN_SUMMARY = "en-summary"
EN_TEMPLATE = "en-template"
EN_DOWNLOAD = "en-download"
EN_UPLOAD = "en-upload"
EN_PREVIEW = "en-preview"
EN_PREVIEW_ACTIONS = "en-preview-actions"
EN_COMMIT = "en-commit"
EN_CANCEL = "en-cancel"
EN_PLAN = "en-plan"            # dcc.Store: fingerprint of the previewed import
EN_ORIGINAL = "en-original"    # dcc.Store: each row's inputs as rendered from the database
EN_DRAFTS = "en-drafts"        # dcc.Store (session): unsaved inputs per user and form, restored on return
# pattern-matching types, keyed by {"indicator": id}
EN_VALUE = "entry-value"
EN_DONE = "entry-done"
EN_DATE = "entry-date"
EN_EVIDENCE = "entry-evidence"
EN_NOTE = "entry-note"
EN_MSG = "entry-msg"
EN_ROW = "entry-row"
EN_META = "entry-meta"
EN_CURRENT = "entry-current"
EN_CONFIRM = "entry-confirm"        # per row: the stored note still explains the value (备注仍适用)
EN_CORRECT = "entry-correct"        # per carried milestone: open it for a correction (更正)
EN_PASTE = "en-paste"               # dcc.Store: a block pasted into a value input (assets/entry_paste.js)
EN_SUBMIT_MODAL = "en-submit-modal"
EN_SUBMIT_CONFIRM = "en-submit-confirm"
EN_SUBMIT_CANCEL = "en-submit-cancel"
EN_SUBMIT_GO = "en-submit-go"       # dcc.Store: bumped when 报送 is confirmed
EN_FOCUS = "en-focus"               # dcc.Store: dummy output of the scroll-to-first-problem script

# Review (审核)
RV_SCHEME = "rv-scheme"
RV_REGION = "rv-region"
RV_QUARTER = "rv-quarter"
RV_TITLE = "rv-title"
RV_BODY = "rv-body"
RV_MSG = "rv-msg"
RV_UNIT = "rv-unit"                  # the unit whose submission is open for review
RV_VIEW = "rv-view"                  # its rows, warnings and the approve / return bar
RV_VERSION = "rv-version"            # dcc.Store: the submission version the reviewer is looking at
RV_APPROVE = "review-approve"
RV_REOPEN = "review-reopen"
RV_REASON = "review-reason"
RV_MODAL = "rv-modal"
RV_CONFIRM = "rv-confirm"
RV_CANCEL = "rv-cancel"
RV_PENDING = "rv-pending"            # dcc.Store: the action waiting for confirmation
RV_REFRESH = "rv-refresh"            # dcc.Store: bumped after an action to redraw the page
RV_DEADLINE = "rv-deadline"          # admins: 报送期限 (days after the quarter ends)
RV_DEADLINE_SAVE = "rv-deadline-save"
# pattern-matching type, keyed by {"unit": name}: 审阅 in the units table
RV_OPEN = "review-open"

# Baselines and reference series (基线与参照值)
RF_SCHEME = "rf-scheme"
RF_REGION = "rf-region"
RF_TITLE = "rf-title"
RF_BODY = "rf-body"
RF_SAVE_BASE = "rf-save-base"
RF_SAVE_REF = "rf-save-ref"
RF_BASE_MSG = "rf-base-msg"
RF_REF_MSG = "rf-ref-msg"
RF_PENDING = "rf-pending-box"
# pattern-matching types: baselines keyed by {"indicator": id}, references by {"series": id, "period": "2024Q2"}
RF_BASE_VALUE = "base-value"
RF_BASE_ASOF = "base-asof"
RF_BASE_NOTE = "base-note"
RF_BASE_META = "base-meta"
RF_BASE_ROWMSG = "base-msg"
RF_BASE_PENDING = "base-pending"
RF_REF_VALUE = "ref-value"
RF_REF_META = "ref-meta"
RF_REF_ROWMSG = "ref-msg"

# Regions roll-up (地区排名)
RN_SCHEME = "rn-scheme"
RN_QUARTER = "rn-quarter"
RN_SEARCH = "rn-search"
RN_ORDER = "rn-order"
RN_TITLE = "rn-title"
RN_SUMMARY = "rn-summary"
RN_TABLE = "rn-table"
RN_PAGER = "rn-pager"
RN_COUNT = "rn-count"
RN_EXPORT = "rn-export"
RN_DOWNLOAD = "rn-download"
RN_EXPORT_NOTE = "rn-export-note"
