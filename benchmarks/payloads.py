"""Bodies of POST /_dash-update-component as dash-renderer sends them, built from
the app's /_dash-dependencies (so they follow the pages' callbacks as they change)."""
from __future__ import annotations

from typing import Any, Iterable, Optional

UPDATE_PATH = "/_dash-update-component"


def _split(output: str) -> list[dict]:
    # "..a.b...c.d.." (several outputs) or "a.b"; ids here never contain dots, properties may carry "@hash".
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [dict(zip(("id", "property"), p.split(".", 1))) for p in parts]


class Callbacks:
    def __init__(self, dependencies: list[dict]):
        self.deps = dependencies

    def find(self, output_marker: str) -> dict:
        """The callback whose output string contains ``output_marker`` (e.g. "ov-board.data-html")."""
        found = [d for d in self.deps if output_marker in d["output"]]
        if len(found) != 1:
            raise KeyError(f"{len(found)} callbacks write {output_marker!r}")
        return found[0]

    def body(self, output_marker: str, values: dict[str, Any], changed: Optional[Iterable[str]] = None) -> dict:
        """``values`` by "id.property" for inputs and states; ``changed`` defaults to every input."""
        dep = self.find(output_marker)
        outputs = _split(dep["output"])

        def items(specs):
            return [{"id": s["id"], "property": s["property"], "value": values.get(f"{s['id']}.{s['property']}")}
                    for s in specs]

        inputs = items(dep["inputs"])
        return {
            "output": dep["output"],
            "outputs": outputs if dep["output"].startswith("..") else outputs[0],
            "inputs": inputs,
            "state": items(dep.get("state", [])),
            "changedPropIds": list(changed) if changed is not None else [f"{i['id']}.{i['property']}" for i in inputs],
        }


def overview(cb: Callbacks, scheme: str, region: str, quarter: str) -> list[dict]:
    """An overview update (a region or quarter chosen): the board's and the figures' callbacks."""
    values = {"ov-scheme.value": scheme, "ov-region.value": region, "ov-quarter.value": quarter}
    return [cb.body(marker, values, changed=["ov-quarter.value"])
            for marker in ("ov-board.data-html", "ov-heatmap-box.children")]


def detail(cb: Callbacks, indicator_id: str, region: str, quarter: str) -> dict:
    return cb.body("dt-chart.figure", {"dt-quarter.value": quarter, "dt-indicator.data": indicator_id,
                                       "dt-region.data": region}, changed=["dt-quarter.value"])


def regions(cb: Callbacks, scheme: str, quarter: Optional[str], search: str = "", page: int = 1) -> dict:
    return cb.body("rn-table.data-html", {"rn-scheme.value": scheme, "rn-quarter.value": quarter,
                                         "rn-search.value": search, "rn-order.value": "desc",
                                         "rn-pager.active_page": page}, changed=["rn-quarter.value"])
