"""Transfers: "one call settles it" (一口受理). Pure cores that take facts and return decisions.

- ``directory`` (+ ``directory_spec``, ``data/shanghai.yaml``): the 16 districts, their four
  offices (SIP endpoint, opening hours, webhook) and their 街道/镇/乡; ``address``: which district
  an address is in.
- ``machine`` (+ ``window_events``): connecting a caller to a district window (hold, dial,
  briefing, three-way conference, the agent drops out); ``reconcile``: settling it after a
  controller restart from Asterisk's snapshot; ``handoff``: blind and warm transfers to a queue or
  an agent with the case.
- ``work_orders``, ``order_status``, ``deadlines``, ``escalations``: work orders for the
  inspection brigade and the employment centre, their status table, working-day deadlines,
  escalations and follow-up calls; ``outbox``: delivery retries and dead letters.
- ``effects`` and ``events``: what the adapters are asked to do, and the typed MQTT events.
"""
