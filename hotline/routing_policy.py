"""The hotline's routing policy as data: one QueuePolicy per IVR queue.

Specialist queues require their skill at proficiency 3 (from the menu) and relax on a
schedule, so that no caller waits for a specialist while other agents sit idle: after 30 s
proficiency 2 is enough, after 90 s proficiency 1, after 180 s any agent takes the call. At
180 s every caller, in any queue, is also offered a callback that keeps their place.
"""

from __future__ import annotations

from hotline.settings import Settings
from queues.skills import OFFER_CALLBACK, QueuePolicy, RelaxRule, RoutingPolicy

SPECIALIST_SKILLS = {"pension": "养老保险", "medical_insurance": "医疗保险"}
"""The skills the shipped menu asks for, with their labels."""
SPECIALIST_QUEUES = tuple(SPECIALIST_SKILLS)


def routing_policy(settings: Settings) -> RoutingPolicy:
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
            relax=relax if skills else (long_wait,),
            max_misses=settings.max_missed_offers,
            preferred_agent_wait_s=settings.repeat_caller_wait_s,
        )

    specialists = tuple(queue(name, (name,)) for name in SPECIALIST_QUEUES)
    return RoutingPolicy(queues=(*specialists, queue("general", ())), default=queue("general", ()))
