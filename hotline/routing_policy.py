"""The hotline's routing policy as data: one QueuePolicy per queue the IVR flow routes to.

A queue whose callers need skills asks for them at the flow's proficiency and relaxes on a
schedule, so that no caller waits for a specialist while other agents sit idle: after 30 s
proficiency 2 is enough, after 90 s proficiency 1, after 180 s any agent takes the call. At
180 s every caller, in any queue, is also offered a callback that keeps their place. A queue
the flow did not name when the controller started (an admin added it since) follows the
default, which relaxes the same way and at 180 s drops every skill the flow knows.
"""

from __future__ import annotations

from collections.abc import Mapping

from hotline.settings import Settings
from queues.skills import OFFER_CALLBACK, QueuePolicy, RelaxRule, RoutingPolicy

GENERAL = "general"


def routing_policy(
    settings: Settings, queue_skills: Mapping[str, tuple[str, ...]], known_skills: tuple[str, ...]
) -> RoutingPolicy:
    def queue(name: str, skills: tuple[str, ...]) -> QueuePolicy:
        long_wait = RelaxRule(
            after_s=settings.relax_after_s[2], drop_skills=skills, action=OFFER_CALLBACK
        )
        relax = (
            RelaxRule(after_s=settings.relax_after_s[0], min_proficiency=2),
            RelaxRule(after_s=settings.relax_after_s[1], min_proficiency=1),
            long_wait,
        )
        return QueuePolicy(
            name=name,
            strategy="best_skill" if skills else "longest_idle",
            wrapup_s=settings.wrapup_s,
            offer_timeout_s=settings.offer_timeout_s,
            relax=relax,
            max_misses=settings.max_missed_offers,
            preferred_agent_wait_s=settings.repeat_caller_wait_s,
        )

    queues = {GENERAL: (), **queue_skills}
    return RoutingPolicy(
        queues=tuple(queue(name, skills) for name, skills in sorted(queues.items())),
        default=queue("default", known_skills),
    )
