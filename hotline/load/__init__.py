"""``hotline load``: real SIP load on the real Asterisk, through the controller or app_queue.

``options`` (what to run, distributions), ``traffic`` (the SIPp parties), ``probes`` (CPU,
memory, channels, RTP loss read from /proc and Asterisk), ``tally`` (what each engine saw),
``report`` (percentiles, the summary, the progress line), ``run`` (the orchestration).
"""

from hotline.load.options import Distribution, Engine, LoadOptions
from hotline.load.run import run_load

__all__ = ["Distribution", "Engine", "LoadOptions", "run_load"]
