"""方案工作台: reviewing a drafted scheme (issue #17). ``rules`` is pure (tests call it); the page
(dashboard/pages/schemes.py) collects inputs and renders."""
