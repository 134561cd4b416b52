"""The shape of the district directory file (transfers/data/shanghai.yaml), as pydantic models.

Unknown keys are errors and types are strict; transfers/directory.py reads the YAML with line
numbers and checks what a shape cannot say (every office kind present, endpoints unique, no place
in two districts).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DistrictId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")]
Endpoint = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,39}$")]
ScheduleName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Han = Annotated[str, Field(pattern=r"^[\u4e00-\u9fff]{2,40}$")]
DistrictName = Annotated[str, Field(pattern=r"^[\u4e00-\u9fff]{1,10}[区县]$")]
FormerName = Annotated[str, Field(pattern=r"^[\u4e00-\u9fff]{1,10}[区县]$")]
StreetName = Annotated[str, Field(pattern=r"^[\u4e00-\u9fff]{1,12}街道$")]
TownName = Annotated[str, Field(pattern=r"^[\u4e00-\u9fff]{1,12}镇$")]
TownshipName = Annotated[str, Field(pattern=r"^[\u4e00-\u9fff]{1,12}乡$")]
WebhookUrl = Annotated[str, Field(pattern=r"^https?://[^\s/]+(/\S*)?$", max_length=500)]
OfficeKindName = Literal[
    "social_insurance_window", "employment_centre", "inspection_brigade", "dispute_arbitration"
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class OfficeSpec(Strict):
    name: Han
    endpoint: Endpoint
    hours: ScheduleName
    webhook_url: WebhookUrl | None = None


class DistrictSpec(Strict):
    name: DistrictName
    short: Han
    former_names: list[FormerName] = []
    offices: dict[OfficeKindName, OfficeSpec]
    streets: list[StreetName] = []
    towns: list[TownName] = []
    townships: list[TownshipName] = []
    suffix_required: list[Han] = []
    """Places whose name is only recognised with its suffix: without it, a common word
    (中山, 大桥, 建设...) or a road elsewhere in the city."""
    aliases: dict[Han, list[Han]] = {}
    """Other names a place goes by (川沙新镇: 川沙)."""


class DirectorySpec(Strict):
    schedules: dict[ScheduleName, dict[str, Any]]
    shared_names: dict[Han, list[DistrictId]] = {}
    districts: dict[DistrictId, DistrictSpec]
