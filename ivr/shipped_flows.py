"""The flows shipped with hotline (YAML files in ivr/flows/)."""

from __future__ import annotations

from pathlib import Path

FLOWS_DIR = Path(__file__).parent / "flows"
DEFAULT_FLOW = FLOWS_DIR / "12333.yaml"
"""The 12333 hotline's flow: what `hotline run` and `hotline demo` serve by default."""
ONE_MENU_FLOW = FLOWS_DIR / "one_menu.yaml"
"""One menu of three keys: what `hotline load` measures, so load figures do not depend on the
depth of the default flow."""
